import { BadInputError } from '@bulkhead/plugin-sdk';
import { BASELINE_CHECKS } from './checks-baseline';
import { RESTRICTED_CHECKS } from './checks-restricted';
import { PSS_LEVELS, type CheckPodFn, type PodMetadata, type PodSpec, type PssCheck, type PssLevel, type VersionedCheck } from './types';

export const PSS_CHECKS: readonly PssCheck[] = [...BASELINE_CHECKS, ...RESTRICTED_CHECKS];

/**
 * Newest policy minor any check defines a behaviour for. Upstream clamps every requested version
 * above it (including `latest`) down to it, so `latest` and `v1.99` both mean this.
 */
export const PSS_MAX_MINOR = Math.max(...PSS_CHECKS.flatMap((c) => c.versions.map((v) => v.minimumVersion)));

export interface PssViolation {
  /** Upstream check id, e.g. `privileged`, `seccompProfile_restricted`. */
  check: string;
  reason: string;
  detail: string;
}

export interface PssEvaluation {
  level: PssLevel;
  /** The version as requested: `latest` or `v1.N`. */
  version: string;
  allowed: boolean;
  violations: PssViolation[];
}

interface ResolvedCheck {
  id: string;
  checkPod: CheckPodFn;
}

/** Parses `latest` or `v1.N` (N ≥ 0) to a policy minor; anything else is a BadInputError. */
export function parsePssVersion(version: string): number {
  if (version === 'latest') return PSS_MAX_MINOR;
  const m = /^v1\.(0|[1-9]\d*)$/.exec(version);
  if (!m) throw new BadInputError(`invalid Pod Security Standards version ${JSON.stringify(version)}: expected "latest" or "v1.<minor>", e.g. v1.30`);
  return Math.min(Number(m[1]), PSS_MAX_MINOR);
}

export function parsePssLevel(level: string): PssLevel {
  if ((PSS_LEVELS as readonly string[]).includes(level)) return level as PssLevel;
  throw new BadInputError(`invalid Pod Security Standards level ${JSON.stringify(level)}: expected baseline or restricted`);
}

/** The implementation of a check in force at a policy minor, or undefined before its first version. */
function versionAt(check: PssCheck, minor: number): VersionedCheck | undefined {
  let found: VersionedCheck | undefined;
  for (const v of check.versions) if (v.minimumVersion <= minor) found = v;
  return found;
}

/**
 * Resolves which checks run at a level and version, as upstream's registry does: every baseline
 * check, plus (at restricted) every restricted check, minus the baseline checks that a restricted
 * check in force overrides. Baseline checks run first, each group in upstream's order.
 */
function resolveChecks(level: PssLevel, minor: number): ResolvedCheck[] {
  const inForce = (checks: readonly PssCheck[]) =>
    checks.flatMap((c) => {
      const v = versionAt(c, minor);
      return v ? [{ id: c.id, v }] : [];
    });
  const baseline = inForce(BASELINE_CHECKS);
  if (level === 'baseline') return baseline.map((c) => ({ id: c.id, checkPod: c.v.checkPod }));
  const restricted = inForce(RESTRICTED_CHECKS);
  const overridden = new Set(restricted.flatMap((c) => c.v.overrideCheckIds ?? []));
  return [...baseline.filter((c) => !overridden.has(c.id)), ...restricted].map((c) => ({ id: c.id, checkPod: c.v.checkPod }));
}

const cache = new Map<string, ResolvedCheck[]>();

function checksFor(level: PssLevel, minor: number): ResolvedCheck[] {
  const key = `${level}:${minor}`;
  let checks = cache.get(key);
  if (!checks) {
    checks = resolveChecks(level, minor);
    cache.set(key, checks);
  }
  return checks;
}

/** Evaluates one pod (metadata + spec) against a Pod Security Standards level and version. */
export function evaluatePod(metadata: PodMetadata, spec: PodSpec, level: PssLevel, version = 'latest'): PssEvaluation {
  const minor = parsePssVersion(version);
  const violations: PssViolation[] = [];
  for (const check of checksFor(level, minor)) {
    const result = check.checkPod(metadata, spec);
    if (!result.allowed) violations.push({ check: check.id, reason: result.forbiddenReason ?? '', detail: result.forbiddenDetail ?? '' });
  }
  return { level, version, allowed: violations.length === 0, violations };
}

/** Ids of the checks that run at a level and version (for documentation and tests). */
export function pssCheckIds(level: PssLevel, version = 'latest'): string[] {
  return checksFor(level, parsePssVersion(version)).map((c) => c.id);
}

/** The upstream admission message, e.g. `violates PodSecurity "restricted:latest": privileged (...)`. */
export function formatPssMessage(evaluation: PssEvaluation): string {
  const parts = evaluation.violations.map((v) => (v.detail ? `${v.reason} (${v.detail})` : v.reason));
  return `violates PodSecurity "${evaluation.level}:${evaluation.version}": ${parts.join(', ')}`;
}
