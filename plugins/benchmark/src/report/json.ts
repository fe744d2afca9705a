import type { BenchmarkReport } from './model';

/** The normalised report as pretty-printed JSON (the task result shape). */
export function formatJson(report: BenchmarkReport): string {
  return JSON.stringify(report, null, 2) + '\n';
}
