import type { BenchmarkCheckResult, BenchmarkReport } from './model';

const MAX_MESSAGE = 100;

/** A plain-text table for terminals: one row per result, then a summary line. */
export function formatTable(report: BenchmarkReport): string {
  // LOCATION (`file:line`, the line of the offending field where the check names one) only when
  // some result comes from a file.
  const located = report.results.some((r) => r.file);
  const header = ['STATUS', 'SEVERITY', 'CHECK', 'TARGET', ...(located ? ['LOCATION'] : []), 'MESSAGE'];
  const rows = report.results.map((r) => [r.status, r.severity, r.checkId, r.target, ...(located ? [locationText(r)] : []), truncate(oneLine(r.message), MAX_MESSAGE)]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  const s = report.summary;
  const out = [report.title, ''];
  if (rows.length === 0) out.push('(no results)');
  else out.push(line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line));
  out.push('', `${s.FAIL} failed, ${s.WARN} warnings, ${s.PASS} passed, ${s.INFO} info, ${s.SKIP} skipped`);
  return out.join('\n') + '\n';
}

function locationText(r: BenchmarkCheckResult): string {
  if (!r.file) return '';
  return r.line ? `${r.file}:${r.line}` : r.file;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
