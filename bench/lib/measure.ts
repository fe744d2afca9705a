import { performance } from 'node:perf_hooks';

/** Shared measuring and printing for the benchmarks in bench/ (each compares to a baseline). */

/** One measured case against its same-run baseline (the ratio is measuredMs / baselineMs). */
export interface BaselineRow {
  name: string;
  items: number;
  baselineMs: number;
  measuredMs: number;
  note: string;
}

/** The p-th percentile (nearest rank) of some values. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

/** Milliseconds one synchronous run takes. */
export function time(fn: () => void): number {
  const start = performance.now();
  fn();
  return performance.now() - start;
}

/** Milliseconds one (possibly asynchronous) run takes. */
export async function timeAsync(fn: () => Promise<void> | void): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

/** Runs a full collection when node was started with --expose-gc (npm run bench does). */
export function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/** Prints a table: a header row, a rule, and the rows, columns padded to their widest cell. */
export function printTable(header: readonly string[], rows: readonly (readonly string[])[]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('-|-'));
  for (const row of rows) console.log(line(row));
}
