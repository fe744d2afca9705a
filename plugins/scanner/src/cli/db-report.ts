import type { ImportReport } from '@bulkhead/vulndb';

/** Rejection reasons printed per import; the rest are counted. */
export const REJECTIONS_SHOWN = 10;

/** One line per import for stdout: what was stored. */
export function importSummary(label: string, report: ImportReport): string {
  const details = [
    report.replaced ? `${report.replaced} replaced` : '',
    report.removed ? `${report.removed} removed (no longer in the source)` : '',
    report.withdrawn ? `${report.withdrawn} withdrawn` : '',
    report.gitRangesSkipped ? `${report.gitRangesSkipped} GIT ranges skipped` : '',
  ].filter(Boolean);
  const rejected = rejectedCount(report);
  return `${label}: ${report.imported} ${report.imported === 1 ? 'advisory' : 'advisories'} imported${details.length ? ` (${details.join(', ')})` : ''}${rejected ? `, ${rejected} rejected` : ''}`;
}

export function rejectedCount(report: ImportReport): number {
  return Math.max(report.rejectedCount ?? 0, report.rejected.length);
}

/** For stderr: the count of rejected records and the first reasons, or nothing. */
export function rejectionLines(label: string, report: ImportReport): string[] {
  const count = rejectedCount(report);
  if (count === 0) return [];
  const lines = [`${label}: ${count} record${count === 1 ? '' : 's'} rejected (skipped; the rest imported):`];
  for (const r of report.rejected.slice(0, REJECTIONS_SHOWN)) lines.push(`  ${r.where}: ${r.reason}`);
  if (count > REJECTIONS_SHOWN) lines.push(`  … and ${count - REJECTIONS_SHOWN} more`);
  return lines;
}

/**
 * Passes the records through, reporting progress as they are read: `fraction` is how far the
 * inputs are (this is input `index` of `count`), the message counts the records read so far,
 * so the line moves while one large archive is imported.
 */
export async function* withRecordProgress<T>(records: AsyncIterable<T>, label: string, index: number, count: number, progress: (fraction: number, message?: string) => void): AsyncIterable<T> {
  let read = 0;
  progress(index / count, `${label}: reading`);
  for await (const record of records) {
    read++;
    // Every 500 records: often enough to move, rarely enough to cost nothing.
    if (read % 500 === 0) progress(index / count, `${label}: ${read} records read`);
    yield record;
  }
  progress((index + 1) / count, `${label}: ${read} records read`);
}
