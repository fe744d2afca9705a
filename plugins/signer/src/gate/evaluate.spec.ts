import type { ChildFinding, ChildTaskOutcome, Severity } from '@bulkhead/plugin-sdk';
import { severityCounts } from '@bulkhead/plugin-sdk';
import { evaluateGate, MAX_REASONS_PER_RULE } from './evaluate';
import { checkPromotionPolicy } from './policy';

const vuln = (id: string, severity: Severity, fixedVersion?: string, status: ChildFinding['status'] = 'OPEN'): ChildFinding => ({
  kind: 'scanner',
  severity,
  ruleId: id,
  title: id,
  target: 'sha256:img',
  fingerprint: `fp-${id}`,
  id: `id-${id}`,
  status,
  data: { findingType: 'vulnerability', package: { name: 'lodash', version: '4.17.11' }, ...(fixedVersion ? { fixedVersion } : {}) },
});
const secret: ChildFinding = { kind: 'scanner', severity: 'CRITICAL', ruleId: 'aws-access-key-id', title: 'AWS Access Key ID', target: 'sha256:img', fingerprint: 'fp-s', status: 'OPEN', data: { findingType: 'secret', path: 'app/.env' } };
const check = (ruleId: string, status = 'FAIL'): ChildFinding => ({ kind: 'benchmark', severity: 'MEDIUM', ruleId, title: ruleId, target: 'img', fingerprint: `fp-${ruleId}`, status: 'OPEN', data: { status } });

function outcome(type: string, findings: ChildFinding[], output: unknown = { digest: 'sha256:img', vulnerabilityScan: { status: 'checked' }, secretScan: { status: 'checked' } }): ChildTaskOutcome {
  return { kind: type === 'scan-image' ? 'scanner' : 'benchmark', type, taskId: type, status: 'SUCCEEDED', output, findings, severityCounts: severityCounts(findings) };
}
const policy = (value: unknown) => checkPromotionPolicy(value, 'test');
const noSigners = { satisfied: [], missing: {} };

describe('evaluateGate', () => {
  it('fails on a finding above maxSeverity, naming rule, advisory, package and finding', () => {
    const result = evaluateGate(policy({ maxSeverity: 'HIGH' }), outcome('scan-image', [vuln('GHSA-1', 'CRITICAL', '4.17.12'), vuln('CVE-2', 'HIGH')]), outcome('image-config', []), noSigners);
    expect(result.decision).toBe('FAIL');
    expect(result.reasons).toEqual([{ rule: 'maxSeverity', detail: 'CRITICAL GHSA-1 in lodash 4.17.11 is above HIGH (fixed in 4.17.12)', findingId: 'id-GHSA-1' }]);
    expect(result.summary).toMatchObject({ vulnerabilities: 2, vulnerabilitiesOverLimit: 1 });
  });

  it('passes when nothing is above the limit; suppressed and (with ignoreUnfixed) unfixed findings never count', () => {
    const findings = [vuln('A', 'CRITICAL', undefined), vuln('B', 'CRITICAL', '1.0', 'SUPPRESSED'), vuln('C', 'LOW', '1.0')];
    expect(evaluateGate(policy({ maxSeverity: 'MEDIUM', ignoreUnfixed: true }), outcome('scan-image', findings), outcome('image-config', []), noSigners)).toMatchObject({ decision: 'PASS', reasons: [] });
    expect(evaluateGate(policy({ maxSeverity: 'MEDIUM' }), outcome('scan-image', findings), outcome('image-config', []), noSigners).reasons.map((r) => r.findingId)).toEqual(['id-A']);
  });

  it('fails closed: vulnerabilities not checked, a failed scan, a benchmark that did not succeed, signers that cannot be checked', () => {
    const unchecked = outcome('scan-image', [], { digest: 'x', vulnerabilityScan: { status: 'no-advisory-data', message: 'no advisory database' }, secretScan: { status: 'checked' } });
    expect(evaluateGate(policy({ maxSeverity: 'CRITICAL' }), unchecked, undefined, noSigners).reasons).toEqual([
      { rule: 'maxSeverity', detail: expect.stringMatching(/^vulnerabilities were not checked \(no advisory database\)/) },
    ]);
    const failed: ChildTaskOutcome = { ...outcome('scan-image', []), status: 'FAILED', output: null, error: 'layer 2: digest mismatch' };
    expect(evaluateGate(policy({}), failed, undefined, noSigners).reasons).toEqual([{ rule: 'scan', detail: 'the image scan failed: layer 2: digest mismatch' }]);
    const bench: ChildTaskOutcome = { ...outcome('image-config', []), status: 'CANCELLED', error: 'cancelled' };
    expect(evaluateGate(policy({ benchmark: { maxFailures: 5 } }), outcome('scan-image', []), bench, noSigners).reasons).toEqual([{ rule: 'benchmark', detail: 'the image benchmark cancelled: cancelled' }]);
    expect(evaluateGate(policy({ requiredSigners: ['ci'] }), outcome('scan-image', []), undefined, 'no verifier').reasons).toEqual([{ rule: 'requiredSigners', detail: 'signatures could not be checked: no verifier' }]);
  });

  it('fails on secrets unless allowed', () => {
    const scan = outcome('scan-image', [secret]);
    expect(evaluateGate(policy({}), scan, undefined, noSigners).reasons).toEqual([{ rule: 'allowSecrets', detail: 'AWS Access Key ID in app/.env', findingId: 'fp-s' }]);
    expect(evaluateGate(policy({ allowSecrets: true }), scan, undefined, noSigners).decision).toBe('PASS');
  });

  it('counts failed image checks against benchmark.maxFailures, allowed rules and WARN results left out', () => {
    const bench = outcome('image-config', [check('CIS-DI-0001'), check('CIS-DI-0005'), check('DKL-DI-0006', 'WARN')]);
    expect(evaluateGate(policy({ benchmark: { maxFailures: 1 } }), outcome('scan-image', []), bench, noSigners).reasons.map((r) => r.findingId)).toEqual(['fp-CIS-DI-0001', 'fp-CIS-DI-0005']);
    expect(evaluateGate(policy({ benchmark: { maxFailures: 1, allowedRules: ['CIS-DI-0001'] } }), outcome('scan-image', []), bench, noSigners).decision).toBe('PASS');
  });

  it('requires each required signer', () => {
    const result = evaluateGate(policy({ requiredSigners: ['a', 'b'] }), outcome('scan-image', []), undefined, { satisfied: ['a'], missing: { b: 'signature over another digest' } });
    expect(result.reasons).toEqual([{ rule: 'requiredSigners', detail: 'no valid signature by b: signature over another digest' }]);
  });

  it(`lists at most ${MAX_REASONS_PER_RULE} findings per rule and counts the rest`, () => {
    const many = Array.from({ length: MAX_REASONS_PER_RULE + 7 }, (_, i) => vuln(`CVE-${i}`, 'HIGH'));
    const reasons = evaluateGate(policy({ maxSeverity: 'LOW' }), outcome('scan-image', many), undefined, noSigners).reasons;
    expect(reasons).toHaveLength(MAX_REASONS_PER_RULE + 1);
    expect(reasons.at(-1)).toEqual({ rule: 'maxSeverity', detail: 'and 7 more' });
  });
});
