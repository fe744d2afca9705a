import type { FindingResult } from '@bulkhead/plugin-sdk';
import type { BenchmarkCheckResult } from './model';

/**
 * Findings are what the platform stores and alerts on, so only results that need action become
 * findings: FAIL and WARN. PASS/INFO/SKIP stay in the task's returned report.
 */
export function toFindings(results: readonly BenchmarkCheckResult[]): FindingResult[] {
  return results.filter((r) => r.status === 'FAIL' || r.status === 'WARN').map(toFinding);
}

export function toFinding(result: BenchmarkCheckResult): FindingResult {
  const finding: FindingResult = {
    kind: 'benchmark',
    severity: result.severity,
    ruleId: result.checkId,
    title: result.title,
    target: result.target,
    data: {
      status: result.status,
      message: result.message,
      ...(result.remediation ? { remediation: result.remediation } : {}),
      ...(result.benchmark ? { benchmark: result.benchmark } : {}),
      ...(result.data ?? {}),
    },
  };
  // The benchmark is part of the location so the same check id from two benchmarks
  // (e.g. `privileged` at baseline and at restricted) stays two findings.
  const location = [result.benchmark, result.file].filter(Boolean).join(':');
  if (location) finding.location = location;
  return finding;
}
