import { performance } from 'node:perf_hooks';
import { z } from 'zod';
import { defineTask, type ResultEmitter, type ScopedFindings, type TaskContext, type TaskPlatform } from '@bulkhead/plugin-sdk';
import { PostgresAdvisoryStore } from '@bulkhead/vulndb';
import { REMATCH_BATCH_IMAGES, REMATCH_VULNERABILITIES_TASK } from './advisory-task-types';
import { matchInventories } from './inventory-matching';
import { requirePlatform } from './platform';

export const rematchVulnerabilitiesInput = z
  .object({
    imageIds: z
      .array(z.uuid())
      .min(1)
      .max(REMATCH_BATCH_IMAGES)
      .optional()
      .describe(`Ids (Image.id) of the images to match again, at most ${REMATCH_BATCH_IMAGES}; absent: every image of the team, queued as tasks of ${REMATCH_BATCH_IMAGES} images`),
    trigger: z.string().max(200).optional().describe('What asked for the re-match (e.g. the id of the advisory import task), for the record'),
  })
  .strict();

export type RematchSummary =
  | { planned: true; batches: number; images: number }
  | {
      planned: false;
      images: number;
      packages: number;
      distinctPackages: number;
      findings: number;
      invalidVersions: number;
      unorderableRanges: number;
      /** Milliseconds spent reading the inventories, matching, and storing the reports. */
      timings: { readMs: number; matchMs: number; storeMs: number };
    };

/**
 * `rematch-vulnerabilities`: matches the team's stored inventories against the advisory store
 * again, without reading any image, after the advisory data changed. Without image ids it plans:
 * it pages through the team's images and queues one task per batch of images (children of this
 * task). With image ids it matches them and reports each image's vulnerabilities completely
 * (producer `scanner/vulnerability`, scope the image id): new matches are OPEN, matches that
 * went away are RESOLVED when the task succeeds, returning ones are reopened.
 */
export const rematchVulnerabilitiesTask = defineTask({
  type: REMATCH_VULNERABILITIES_TASK.type,
  description: `Matches stored image inventories against the advisory database again (server only), in tasks of ${REMATCH_BATCH_IMAGES} images`,
  input: rematchVulnerabilitiesInput,
  async run(input, ctx): Promise<RematchSummary> {
    const platform = requirePlatform(ctx, REMATCH_VULNERABILITIES_TASK.type, 'bulkhead scan (it matches as it scans)');
    if (!input.imageIds) return plan(platform, ctx, input.trigger);
    ctx.progress(0, `reading ${input.imageIds.length} inventories`);
    const started = performance.now();
    const inventories = await platform.inventories.read(input.imageIds);
    const read = performance.now();
    ctx.signal.throwIfAborted();
    ctx.progress(0.2, 'matching');
    const result = await matchInventories(inventories, new PostgresAdvisoryStore(platform.database));
    const matched = performance.now();
    ctx.signal.throwIfAborted();
    ctx.progress(0.6, `storing ${result.findings} findings`);
    await emitReports(ctx.emit, result.reports);
    const stored = performance.now();
    return {
      planned: false,
      images: inventories.length,
      packages: result.packages,
      distinctPackages: result.distinctPackages,
      findings: result.findings,
      invalidVersions: result.stats.invalidVersions.length,
      unorderableRanges: result.stats.unorderableRanges.length,
      timings: { readMs: Math.round(read - started), matchMs: Math.round(matched - read), storeMs: Math.round(stored - matched) },
    };
  },
});

async function plan(platform: TaskPlatform, ctx: TaskContext, trigger: string | undefined): Promise<RematchSummary> {
  let after: string | undefined;
  let batches = 0;
  let images = 0;
  for (;;) {
    ctx.signal.throwIfAborted();
    const page = await platform.inventories.artifactIds({ ...(after ? { after } : {}), limit: REMATCH_BATCH_IMAGES });
    if (page.length === 0) break;
    await platform.submitTask({ kind: REMATCH_VULNERABILITIES_TASK.kind, type: REMATCH_VULNERABILITIES_TASK.type, input: { imageIds: page, ...(trigger ? { trigger } : {}) } });
    batches++;
    images += page.length;
    after = page.at(-1);
    ctx.progress(0, `queued ${batches} re-matching tasks (${images} images)`);
    if (page.length < REMATCH_BATCH_IMAGES) break;
  }
  ctx.logger.info({ batches, images }, 'planned re-matching');
  return { planned: true, batches, images };
}

/** Every report in one call where the emitter can (the worker's), else one call each. */
export async function emitReports(emit: ResultEmitter, reports: readonly ScopedFindings[]): Promise<void> {
  if (emit.reports) {
    await emit.reports(reports);
    return;
  }
  for (const { report, findings } of reports) await emit.findings(findings, report);
}
