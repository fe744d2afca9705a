import { normalizePackageName } from '../ecosystem';
import type { Advisory, RejectedRecord } from '../model';
import type { ImportReport } from './advisory-store';

/** Rejection reasons kept in an ImportReport; the rest are only counted (`rejectedCount`). */
export const MAX_REJECTED_KEPT = 1000;

/** How an import treats the records already stored for its source. */
export interface ImportOptions {
  /**
   * The records are the source's complete data (a whole feed snapshot): records of this source
   * that the import did not carry are removed (counted in `removed`). Default: false, records are
   * added to or replace (same id) what the source already holds.
   */
  replaceSource?: boolean;
}

export function isRejected(record: Advisory | RejectedRecord): record is RejectedRecord {
  return typeof (record as RejectedRecord).reason === 'string' && (record as Advisory).affected === undefined;
}

/**
 * Counts one import: what the stores share. Rejections beyond MAX_REJECTED_KEPT are counted but
 * not kept, so a hostile input of millions of bad lines cannot exhaust memory.
 */
export class ImportTally {
  readonly report: ImportReport;

  constructor(source: string) {
    this.report = { source, imported: 0, replaced: 0, withdrawn: 0, gitRangesSkipped: 0, rejected: [], rejectedCount: 0, removed: 0 };
  }

  reject(record: RejectedRecord): void {
    this.report.rejectedCount = (this.report.rejectedCount ?? 0) + 1;
    if (this.report.rejected.length < MAX_REJECTED_KEPT) this.report.rejected.push({ where: record.where, reason: record.reason });
  }

  stored(advisory: Advisory, replaced: boolean): void {
    this.report.imported++;
    if (replaced) this.report.replaced++;
    if (advisory.withdrawn) this.report.withdrawn++;
    for (const affected of advisory.affected) this.report.gitRangesSkipped += affected.ranges.filter((r) => r.type === 'GIT').length;
  }
}

/**
 * The store's own check of a record before it is written (the readers validate the source
 * format; this guards the columns the indexes rely on). Returns the reason, or undefined.
 */
export function invalidAdvisory(advisory: Advisory): string | undefined {
  if (typeof advisory.id !== 'string' || advisory.id.trim() === '') return 'advisory has no id';
  if (!Array.isArray(advisory.affected)) return `${advisory.id}: "affected" is not a list`;
  if (!Array.isArray(advisory.aliases)) return `${advisory.id}: "aliases" is not a list`;
  for (const [i, affected] of advisory.affected.entries()) {
    if (typeof affected?.ecosystem !== 'string' || affected.ecosystem === '') return `${advisory.id}: affected[${i}] has no ecosystem`;
    if (typeof affected.name !== 'string' || affected.name === '') return `${advisory.id}: affected[${i}] has no package name`;
    if (!Array.isArray(affected.ranges)) return `${advisory.id}: affected[${i}].ranges is not a list`;
  }
  return undefined;
}

/** The (ecosystem, name) key an affected entry is indexed under (names normalised again: idempotent). */
export function affectedKey(ecosystem: string, name: string): string {
  return normalizePackageName(ecosystem, name);
}

/** Aliases to index: the other ids, without duplicates and without the record's own id. */
export function indexedAliases(advisory: Advisory): string[] {
  return [...new Set(advisory.aliases.filter((a) => typeof a === 'string' && a !== '' && a !== advisory.id))];
}

/** Where a store's rejection of a record happened, for the report. */
export function storeRejection(source: string, advisory: Advisory, reason: string): RejectedRecord {
  return { where: `${source}${typeof advisory.id === 'string' && advisory.id ? ` (${advisory.id})` : ''}`, reason };
}
