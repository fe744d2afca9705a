import type { ChildFinding, ChildTaskOutcome } from '@bulkhead/plugin-sdk';
import { severityRank, type PromotionPolicy } from './policy';

export type GateVerdict = 'PASS' | 'FAIL';

/** Why a gate failed: the rule, in words, and the finding it is about (its id or fingerprint). */
export interface GateReason {
  rule: string;
  detail: string;
  findingId?: string;
}

/** What the signatures already on the image say about the required signers. */
export interface SignerCheck {
  /** Required signers with a valid signature over the image's digest. */
  satisfied: readonly string[];
  /** Why a required signer is not satisfied, by signer. */
  missing: Readonly<Record<string, string>>;
}

export interface GateEvaluation {
  decision: GateVerdict;
  reasons: GateReason[];
  /** What the decision looked at, in numbers. */
  summary: {
    vulnerabilities: number;
    vulnerabilitiesOverLimit: number;
    secrets: number;
    benchmarkFailures: number;
    benchmarkFailuresCounted: number;
  };
}

/** Reasons listed per rule before the rest is counted in one line (a decision stays readable). */
export const MAX_REASONS_PER_RULE = 50;

interface ScanOutput {
  digest?: string;
  vulnerabilityScan?: { status?: string; message?: string };
  secretScan?: { status?: string; message?: string };
}

const findingIdOf = (f: ChildFinding): string => f.id ?? f.fingerprint;
const findingType = (f: ChildFinding): unknown => (f.data as { findingType?: unknown } | undefined)?.findingType;

/**
 * The gate's decision over a scan (`scan-image`) and an image benchmark, both finished children,
 * under a policy. Fails closed: a child that did not succeed, vulnerabilities that were not
 * checked (no advisory data), a secret scan that did not run, or signers that could not be
 * checked each fail the rule that needed them, saying so. SUPPRESSED findings never count.
 */
export function evaluateGate(policy: PromotionPolicy, scan: ChildTaskOutcome, benchmark: ChildTaskOutcome | undefined, signers: SignerCheck | string): GateEvaluation {
  const reasons: GateReason[] = [];
  const live = (findings: readonly ChildFinding[]) => findings.filter((f) => f.status !== 'SUPPRESSED');
  const summary = { vulnerabilities: 0, vulnerabilitiesOverLimit: 0, secrets: 0, benchmarkFailures: 0, benchmarkFailuresCounted: 0 };

  if (scan.status !== 'SUCCEEDED') {
    reasons.push({ rule: 'scan', detail: `the image scan ${scan.status.toLowerCase()}: ${scan.error ?? 'no result'}` });
  } else {
    const output = (scan.output ?? {}) as ScanOutput;
    const vulnerabilities = live(scan.findings).filter((f) => findingType(f) === 'vulnerability');
    summary.vulnerabilities = vulnerabilities.length;
    if (policy.maxSeverity !== undefined) {
      const limit = policy.maxSeverity;
      if (output.vulnerabilityScan?.status !== 'checked') {
        reasons.push({ rule: 'maxSeverity', detail: `vulnerabilities were not checked (${output.vulnerabilityScan?.message ?? output.vulnerabilityScan?.status ?? 'no status'}): a gate cannot pass what it did not look at` });
      } else {
        const counted = policy.ignoreUnfixed ? vulnerabilities.filter((f) => typeof (f.data as { fixedVersion?: unknown }).fixedVersion === 'string') : vulnerabilities;
        const over = counted.filter((f) => severityRank(f.severity) > severityRank(limit)).sort((a, b) => severityRank(b.severity) - severityRank(a.severity));
        summary.vulnerabilitiesOverLimit = over.length;
        listed(reasons, 'maxSeverity', over, (f) => `${f.severity} ${f.ruleId} in ${packageOf(f)} is above ${limit}${fixOf(f)}`);
      }
    }
    const secrets = live(scan.findings).filter((f) => findingType(f) === 'secret');
    summary.secrets = secrets.length;
    if (!policy.allowSecrets) {
      if (output.secretScan?.status !== 'checked') {
        reasons.push({ rule: 'allowSecrets', detail: `secrets were not checked (${output.secretScan?.message ?? output.secretScan?.status ?? 'no status'})` });
      } else {
        listed(reasons, 'allowSecrets', secrets, (f) => `${f.title} in ${String((f.data as { path?: unknown }).path ?? f.location ?? f.target)}`);
      }
    }
  }

  if (policy.benchmark) {
    if (!benchmark || benchmark.status !== 'SUCCEEDED') {
      reasons.push({ rule: 'benchmark', detail: `the image benchmark ${benchmark ? `${benchmark.status.toLowerCase()}: ${benchmark.error ?? 'no result'}` : 'did not run'}` });
    } else {
      const allowed = new Set(policy.benchmark.allowedRules);
      const failures = live(benchmark.findings).filter((f) => (f.data as { status?: unknown } | undefined)?.status === 'FAIL');
      const counted = failures.filter((f) => !allowed.has(f.ruleId));
      summary.benchmarkFailures = failures.length;
      summary.benchmarkFailuresCounted = counted.length;
      const max = policy.benchmark.maxFailures;
      if (max !== undefined && counted.length > max) {
        listed(reasons, 'benchmark.maxFailures', counted, (f) => `${f.ruleId} failed: ${f.title} (${counted.length} failed checks, at most ${max} allowed)`);
      }
    }
  }

  if (policy.requiredSigners.length > 0) {
    if (typeof signers === 'string') {
      reasons.push({ rule: 'requiredSigners', detail: `signatures could not be checked: ${signers}` });
    } else {
      for (const signer of policy.requiredSigners) {
        if (!signers.satisfied.includes(signer)) reasons.push({ rule: 'requiredSigners', detail: `no valid signature by ${signer}: ${signers.missing[signer] ?? 'none found'}` });
      }
    }
  }
  return { decision: reasons.length === 0 ? 'PASS' : 'FAIL', reasons, summary };
}

function listed(reasons: GateReason[], rule: string, findings: readonly ChildFinding[], detail: (f: ChildFinding) => string): void {
  for (const finding of findings.slice(0, MAX_REASONS_PER_RULE)) reasons.push({ rule, detail: detail(finding), findingId: findingIdOf(finding) });
  if (findings.length > MAX_REASONS_PER_RULE) reasons.push({ rule, detail: `and ${findings.length - MAX_REASONS_PER_RULE} more` });
}

function packageOf(f: ChildFinding): string {
  const pkg = (f.data as { package?: { name?: unknown; version?: unknown } } | undefined)?.package;
  return typeof pkg?.name === 'string' ? `${pkg.name} ${String(pkg.version ?? '')}`.trim() : (f.location ?? f.target);
}

function fixOf(f: ChildFinding): string {
  const fixed = (f.data as { fixedVersion?: unknown } | undefined)?.fixedVersion;
  return typeof fixed === 'string' ? ` (fixed in ${fixed})` : ' (no fix)';
}
