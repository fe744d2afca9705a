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
