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
  };
}

/** True when an import stored or removed records (matches may have changed). */
export function dataChanged(reports: readonly ImportReport[]): boolean {
  return reports.some((r) => r.imported > 0 || r.replaced > 0 || (r.removed ?? 0) > 0);
}

/**
 * After advisory data changed: one planning `rematch-vulnerabilities` task in every team that
 * holds inventories (advisories are shared by all teams, images are not: each team re-matches
 * its own, as its own tasks). Returns null when nothing changed.
 */
export async function queueRematch(platform: TaskPlatform, ctx: TaskContext, reports: readonly ImportReport[]): Promise<ImportSummary['rematch']> {
  if (!dataChanged(reports)) return null;
  const tasks = await platform.submitTaskInEveryTeam({ kind: REMATCH_VULNERABILITIES_TASK.kind, type: REMATCH_VULNERABILITIES_TASK.type, input: { trigger: ctx.taskId } });
  return { teams: tasks.length, tasks };
}
