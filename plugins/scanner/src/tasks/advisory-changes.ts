import type { TaskContext, TaskPlatform } from '@bulkhead/plugin-sdk';
import type { ImportReport } from '@bulkhead/vulndb';
import { REMATCH_VULNERABILITIES_TASK } from './advisory-task-types';

/** Rejection reasons a task result keeps per source (the count is always complete). */
export const REJECTIONS_IN_RESULT = 20;

export interface ImportSummary {
  sources: SourceSummary[];
  /** The re-matching tasks queued, one per team holding inventories; null when no data changed. */
  rematch: { teams: number; tasks: { team: string; id: string }[] } | null;
}

export interface SourceSummary {
  source: string;
  imported: number;
  replaced: number;
  removed: number;
  withdrawn: number;
  gitRangesSkipped: number;
  rejected: number;
  firstRejections: { where: string; reason: string }[];
  /** Package keys whose advisories the import changed (stores with a change log). */
  changedPackages?: number;
}

export function summariseImport(report: ImportReport): SourceSummary {
  return {
    source: report.source,
    imported: report.imported,
    replaced: report.replaced,
    removed: report.removed ?? 0,
    withdrawn: report.withdrawn,
    gitRangesSkipped: report.gitRangesSkipped,
    rejected: report.rejectedCount ?? report.rejected.length,
    firstRejections: report.rejected.slice(0, REJECTIONS_IN_RESULT).map((r) => ({ where: r.where, reason: r.reason })),
    ...(report.changes ? { changedPackages: report.changes.packages } : {}),
  };
}

/**
 * True when an import may have changed matches: it changed package keys (stores with a change
 * log report what changed: records imported again unchanged change nothing), or, from a store
 * without one, it stored or removed records.
 */
export function dataChanged(reports: readonly ImportReport[]): boolean {
  return reports.some((r) => (r.changes ? r.changes.packages > 0 : r.imported > 0 || r.replaced > 0 || (r.removed ?? 0) > 0));
}

/**
 * The change-log range covering these imports (ImportReport.changes), for a re-match of the
 * packages they changed only; undefined when one of them keeps no change log (match everything).
 * Numbers between them from other imports only add packages to match: harmless.
 */
export function changeRange(reports: readonly ImportReport[]): { after: number; upTo: number } | undefined {
  const seqs = reports.map((r) => r.changes?.seq);
  if (seqs.length === 0 || seqs.some((seq) => seq === undefined || !Number.isSafeInteger(seq) || seq < 1)) return undefined;
  const numbers = seqs as number[];
  return { after: Math.min(...numbers) - 1, upTo: Math.max(...numbers) };
}

/**
 * After advisory data changed: one planning `rematch-vulnerabilities` task in every team that
 * holds inventories (advisories are shared by all teams, images are not: each team re-matches
 * its own, as its own tasks), over the packages the imports changed. Returns null when nothing changed.
 */
export async function queueRematch(platform: TaskPlatform, ctx: TaskContext, reports: readonly ImportReport[]): Promise<ImportSummary['rematch']> {
  if (!dataChanged(reports)) return null;
  const advisoryChanges = changeRange(reports);
  const tasks = await platform.submitTaskInEveryTeam({
    kind: REMATCH_VULNERABILITIES_TASK.kind,
    type: REMATCH_VULNERABILITIES_TASK.type,
    input: { trigger: ctx.taskId, ...(advisoryChanges ? { advisoryChanges } : {}) },
  });
  return { teams: tasks.length, tasks };
}
