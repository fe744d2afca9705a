import type { Severity } from '@bulkhead/plugin-sdk';
import { referencesOf, type CheckReferences } from './references';

/** Outcome of one check on one target, as every benchmark in this plugin reports it. */
export const BENCHMARK_STATUSES = ['PASS', 'FAIL', 'WARN', 'INFO', 'SKIP'] as const;
export type BenchmarkStatus = (typeof BENCHMARK_STATUSES)[number];

/**
 * One check evaluated against one target: a PSS check on a Deployment, a CIS control on a node,
 * a Docker daemon setting. Every benchmark (PSS, RBAC, NetworkPolicy, kube-bench, CIS Docker)
 * produces these, so that one set of formatters and one findings mapping serve them all.
 */
export interface BenchmarkCheckResult {
  /** Control or check id as its source names it: `5.1.1`, `privileged`, `pod-networkpolicy`. */
  checkId: string;
  title: string;
  status: BenchmarkStatus;
  severity: Severity;
  /** What was checked: `Deployment/ns/name`, a node name, a container id. */
  target: string;
  /** Why it has this status, for humans. */
  message: string;
  remediation?: string;
  /** Where the target is defined, e.g. a file path relative to the scanned root. */
  file?: string;
  /**
   * 1-based line in `file`: of the offending field when the check names it in `path`, else of the
   * target's document.
   */
  line?: number;
  /** 1-based last line of the offending field (set with `path`, by the location resolver). */
  endLine?: number;
  /**
   * The field the result is about, relative to the target object (`k8s/paths.ts`):
   * `spec.template.spec.containers[0].securityContext.privileged`, `rules[2]`. A check names the
   * field that should be set even when it is missing; the resolver then points at the nearest
   * ancestor that exists.
   */
  path?: string;
  /** Which benchmark the check belongs to: `pss-restricted`, `cis-k8s-rbac`, `cis-docker` ... */
  benchmark?: string;
  /** Check-specific structured detail (upstream reason/detail strings, matched rules ...). */
  data?: Record<string, unknown>;
  /** What other tools and standards call this check (Trivy/AVD, kube-score, Polaris, CIS, PSS); see ./references.ts. */
  references?: CheckReferences;
}

export type BenchmarkSummary = Record<BenchmarkStatus, number>;

/** The normalised result of one benchmark run: what a task returns and what formatters print. */
export interface BenchmarkReport {
  /** Human name of what ran, e.g. `Kubernetes manifests` or `CIS Docker Benchmark v1.6.0`. */
  title: string;
  results: BenchmarkCheckResult[];
  summary: BenchmarkSummary;
}

export function summarize(results: readonly BenchmarkCheckResult[]): BenchmarkSummary {
  const summary: BenchmarkSummary = { PASS: 0, FAIL: 0, WARN: 0, INFO: 0, SKIP: 0 };
  for (const r of results) summary[r.status]++;
  return summary;
}

/** A report over `results`; each result gets the cross-references of its check id unless it carries its own. */
export function benchmarkReport(title: string, results: BenchmarkCheckResult[]): BenchmarkReport {
  const withReferences = results.map((r) => {
    if (r.references) return r;
    const references = referencesOf(r.checkId, r.benchmark);
    return references ? { ...r, references } : r;
  });
  return { title, results: withReferences, summary: summarize(withReferences) };
}
