import type { BenchmarkCheckResult, BenchmarkReport } from '../report';
import type { BenchmarkControl, BenchmarkSummary } from './benchmark-run.model';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isReport(value: unknown): value is BenchmarkReport {
  return isRecord(value) && Array.isArray(value['results']) && isRecord(value['summary']);
}

/**
 * The normalised report in a benchmark task's result: the CIS Docker tasks return the report
 * itself, the Kubernetes-manifest and kube-bench tasks return `{ report, ... }`.
 */
export function reportOfResult(result: unknown): BenchmarkReport | null {
  if (isReport(result)) return result;
  if (isRecord(result) && isReport(result['report'])) return result['report'];
  return null;
}

export function toSummary(report: BenchmarkReport): BenchmarkSummary {
  const s = report.summary;
  const count = (n: number | undefined) => n ?? 0;
  return { pass: count(s.PASS), fail: count(s.FAIL), warn: count(s.WARN), info: count(s.INFO), skip: count(s.SKIP), total: report.results.length };
}

export function toControl(result: BenchmarkCheckResult): BenchmarkControl {
  return {
    id: result.checkId,
    title: result.title,
    status: result.status,
    severity: result.severity,
    target: result.target,
    message: result.message,
    remediation: result.remediation ?? null,
    benchmark: result.benchmark ?? null,
    file: result.file ?? null,
    line: result.line ?? null,
  };
}
