import { createHash } from 'node:crypto';
import type { FindingResult } from './results';

/**
 * The stable identity of a finding within its target: the same rule on the same target at the
 * same location is the same finding, however often the work re-runs.
 */
export function findingFingerprint(finding: Pick<FindingResult, 'kind' | 'ruleId' | 'target' | 'location' | 'fingerprint'>): string {
  if (finding.fingerprint) return finding.fingerprint;
  return createHash('sha256')
    .update([finding.kind, finding.ruleId, finding.target, finding.location ?? ''].join('\u0000'))
    .digest('hex');
}
