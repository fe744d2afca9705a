import type { Severity } from '@bulkhead/plugin-sdk';
import type { AdvisoryStatus, AffectedPackage } from '../../model';
import { compareVersions } from '../../version';
import { debianUrgencySeverity } from '../severity';
import type { PackageAnnotation } from './tracker-list';

/*
 * Debian tracker annotations → one affected entry per (release, source package), with the rules
 * trivy-db applies (pkg/vulnsrc/debian; ../shared/vulndata/debian-security-tracker/SOURCE.md):
 *
 *  1. A DSA/DLA fixing the package in the release wins (the newest fixed version when several
 *     do), over
 *  2. the release's own line (`[bookworm] - pkg 1.2-3` fixed; `<no-dsa>`, `<ignored>`,
 *     `<postponed>`, `<end-of-life>`, `<unfixed>`: no fix, with that status), over
 *  3. the unstable line (`- pkg 1.4-1`): the release is fixed at that version only if the
 *     release's own source version is at least it; else (or `<unfixed>` / `<removed>`) open.
 *     A release line with a status but no version does not stop this: trivy-db treats a fix that
 *     reached the release through unstable as overriding a stale `<no-dsa>` (decidable only
 *     with the release's source versions; without them the release line stands).
 *  `<not-affected>` / `<undetermined>` for the release (or, for rule 3, for unstable) omit it.
 *  Severity is the unstable line's urgency (`unimportant` and `low` → LOW, ...).
 */

/** A fix published by a DSA or DLA for one release and source package. */
export interface AdvisoryFix {
  advisory: string;
  annotation: PackageAnnotation;
}

/**
 * The release's current source version of a package (Debian's Sources index for the release
 * and its security updates), or undefined when the release does not ship it. Without this
 * knowledge (see DebianReleaseContext) an unstable fix is taken to have reached the release.
 */
export type ReleaseSourceVersion = (codename: string, sourcePackage: string) => string | undefined;

export interface DebianReleaseContext {
  /** Codename → OSV ecosystem (`bookworm` → `Debian:12`). */
  releases: ReadonlyMap<string, string>;
  releaseVersion?: ReleaseSourceVersion;
}

const SKIPPED_KINDS = new Set(['not-affected', 'undetermined']);

/** trivy-db's State word → the model's status (trivy reports State "" with no fix as affected). */
const STATE_STATUS: Readonly<Record<string, AdvisoryStatus>> = {
  '': 'affected',
  unfixed: 'affected',
  'no-dsa': 'affected',
  removed: 'affected',
  itp: 'affected',
  ignored: 'will_not_fix',
  postponed: 'fix_deferred',
  'end-of-life': 'end_of_life',
};

interface Verdict {
  fixed: string;
  state: string;
  severity?: Severity;
  vendorIds: string[];
}

function dpkgCompare(a: string, b: string): number {
  if (a === b) return 0;
  if (a === '') return -1;
  if (b === '') return 1;
  return compareVersions('dpkg', a, b);
}

/**
 * The affected entries of one CVE (its package annotations and the DSA/DLA fixes naming it),
 * one per release and source package, plus the DSA/DLA ids that fixed it.
 */
export function releaseAffected(packages: readonly PackageAnnotation[], fixes: readonly AdvisoryFix[], context: DebianReleaseContext): { affected: AffectedPackage[]; vendorIds: string[] } {
  const names = [...new Set([...packages.map((p) => p.package), ...fixes.map((f) => f.annotation.package)])];
  const affected: AffectedPackage[] = [];
  const vendorIds = new Set<string>();
  for (const name of names) {
    const unstable = packages.find((p) => p.package === name && p.release === '');
    const severity = unstable?.urgency ? debianUrgencySeverity(unstable.urgency) : undefined;
    for (const [codename, ecosystem] of context.releases) {
      const verdict = releaseVerdict(name, codename, unstable, packages, fixes, context, severity);
      if (!verdict) continue;
      verdict.vendorIds.forEach((id) => vendorIds.add(id));
      affected.push(toAffected(ecosystem, name, verdict));
    }
  }
  return { affected, vendorIds: [...vendorIds] };
}

function releaseVerdict(
  name: string,
  codename: string,
  unstable: PackageAnnotation | undefined,
  packages: readonly PackageAnnotation[],
  fixes: readonly AdvisoryFix[],
  context: DebianReleaseContext,
  severity: Severity | undefined,
): Verdict | undefined {
  let notAffected = false;
  // Rule 2, then rule 1 on top of it: trivy-db's per-release advisory ("bucket").
  let bucket: Verdict | undefined;
  const own = packages.find((p) => p.package === name && p.release === codename);
  if (own) {
    if (SKIPPED_KINDS.has(own.kind)) notAffected = true;
    else bucket = { fixed: own.version, state: own.version ? '' : own.kind, ...(severity ? { severity } : {}), vendorIds: [] };
  }
  for (const fix of fixes) {
    const { annotation } = fix;
    if (annotation.package !== name || annotation.release !== codename) continue;
    if (SKIPPED_KINDS.has(annotation.kind)) {
      notAffected = true;
      continue;
    }
    if (!bucket) bucket = { fixed: annotation.version, state: '', vendorIds: [fix.advisory] };
    else {
      if (dpkgCompare(annotation.version, bucket.fixed) > 0) bucket = { ...bucket, fixed: annotation.version, state: '' };
      bucket.vendorIds.push(fix.advisory);
    }
  }
  // A release line or advisory with a fixed version is final.
  if (bucket && bucket.state === '') return bucket;
  // Rule 3: the unstable line, unless unstable or this release is not affected.
  if (!unstable || SKIPPED_KINDS.has(unstable.kind) || notAffected) return bucket;
  if (!context.releaseVersion) {
    // No Sources index. A release line (`<no-dsa>`, `<ignored>` …) exists because the release
    // differs from unstable: it stands. Otherwise an unstable fix is assumed to be in the
    // release (true for the great majority: fixes that predate the release), so its fixed
    // version may name a version only unstable has; give `releaseVersion` (or import the
    // tracker JSON) to be exact.
    if (bucket) return bucket;
    if (unstable.version) return { fixed: unstable.version, state: '', ...(severity ? { severity } : {}), vendorIds: [] };
    return { fixed: '', state: '', ...(severity ? { severity } : {}), vendorIds: [] };
  }
  const releaseVersion = context.releaseVersion(codename, name);
  // The release does not ship the package: only its own line (if any) says anything.
  if (releaseVersion === undefined) return bucket;
  if (unstable.version && dpkgCompare(releaseVersion, unstable.version) >= 0) {
    return { fixed: unstable.version, state: '', ...(severity ? { severity } : {}), vendorIds: bucket?.vendorIds ?? [] };
  }
  return bucket ?? { fixed: '', state: '', ...(severity ? { severity } : {}), vendorIds: [] };
}

function toAffected(ecosystem: string, name: string, verdict: Verdict): AffectedPackage {
  const entry: AffectedPackage = {
    ecosystem,
    name,
    ranges: [{ type: 'ECOSYSTEM', events: verdict.fixed ? [{ introduced: '0' }, { fixed: verdict.fixed }] : [{ introduced: '0' }] }],
    versions: [],
  };
  if (!verdict.fixed) entry.status = STATE_STATUS[verdict.state] ?? 'affected';
  if (verdict.severity) entry.severity = verdict.severity;
  return entry;
}
