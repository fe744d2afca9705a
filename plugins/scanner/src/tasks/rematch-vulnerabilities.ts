import { performance } from 'node:perf_hooks';
import { z } from 'zod';
import { defineTask, MAX_PACKAGE_NAME_FILTER, type ResultEmitter, type ScopedFindings, type TaskContext, type TaskPlatform } from '@bulkhead/plugin-sdk';
import { PostgresAdvisoryStore, type PackageKey } from '@bulkhead/vulndb';
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
    advisoryChanges: z
      .object({
        after: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
        upTo: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
      })
      .strict()
      .refine((range) => range.after < range.upTo, { message: 'after must be below upTo' })
      .optional()
      .describe(
        'The advisory imports (change-log numbers, after exclusive, upTo inclusive) whose changes to match: only the packages their changed advisories name are matched, in the images holding one; absent: every package of every image',
      ),
  })
  .strict();

export type RematchMode = 'changed-packages' | 'all-packages';

export type RematchSummary =
  | { planned: true; batches: number; images: number; mode: RematchMode; changedPackages: number | null }
  | {
      planned: false;
      images: number;
      packages: number;
      distinctPackages: number;
      findings: number;
      invalidVersions: number;
      unorderableRanges: number;
      /**
       * What was matched: `changed-packages` (only the packages named by the advisories the
       * imports changed: `changedPackages` keys), or `all-packages` (no change range was given,
       * or its changes are no longer known or too many).
       */
      mode: RematchMode;
      changedPackages: number | null;
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
 *
 * With `advisoryChanges` (what an import queues: the change-log numbers of its imports), only
 * the packages named by the advisories those imports changed are matched, since no other
 * package's matches can have changed: planning queues only the images holding one, and each
 * image's report is complete over those packages' locations only. Without it, or when the
 * change log no longer knows the range, every package is matched.
 */
export const rematchVulnerabilitiesTask = defineTask({
  type: REMATCH_VULNERABILITIES_TASK.type,
  description: `Matches stored image inventories against the advisory database again (server only), in tasks of ${REMATCH_BATCH_IMAGES} images`,
  input: rematchVulnerabilitiesInput,
  async run(input, ctx): Promise<RematchSummary> {
    const platform = requirePlatform(ctx, REMATCH_VULNERABILITIES_TASK.type, 'bulkhead scan (it matches as it scans)');
    const store = new PostgresAdvisoryStore(platform.database);
    const changed = input.advisoryChanges ? await store.changedPackages(input.advisoryChanges, MAX_PACKAGE_NAME_FILTER) : null;
    if (!input.imageIds) return plan(platform, ctx, input, changed);
    ctx.progress(0, `reading ${input.imageIds.length} inventories`);
    const started = performance.now();
    // Only the packages that may carry a changed name are read (a superset, narrowed exactly by matchInventories).
    const inventories = await platform.inventories.read(input.imageIds, changed ? { packageNames: changed.map((key) => key.name) } : {});
    const read = performance.now();
    ctx.signal.throwIfAborted();
    ctx.progress(0.2, 'matching');
    const result = await matchInventories(inventories, store, changed ?? undefined);
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
      mode: changed ? 'changed-packages' : 'all-packages',
      changedPackages: changed?.length ?? null,
      timings: { readMs: Math.round(read - started), matchMs: Math.round(matched - read), storeMs: Math.round(stored - matched) },
    };
  },
});

/**
 * Queues one task per batch of images. With changed packages, only images holding a package
 * that may carry one of their names are queued (none when the imports changed nothing).
 */
async function plan(platform: TaskPlatform, ctx: TaskContext, input: z.infer<typeof rematchVulnerabilitiesInput>, changed: PackageKey[] | null): Promise<RematchSummary> {
  const summary = { planned: true as const, batches: 0, images: 0, mode: (changed ? 'changed-packages' : 'all-packages') as RematchMode, changedPackages: changed?.length ?? null };
  if (changed?.length === 0) return summary;
  const filter = changed ? { packageNames: changed.map((key) => key.name) } : {};
  // A batch whose change log was pruned meanwhile matches everything: the range is passed on as given.
  const passOn = { ...(input.trigger ? { trigger: input.trigger } : {}), ...(changed && input.advisoryChanges ? { advisoryChanges: input.advisoryChanges } : {}) };
  let after: string | undefined;
  for (;;) {
    ctx.signal.throwIfAborted();
    const page = await platform.inventories.artifactIds({ ...(after ? { after } : {}), limit: REMATCH_BATCH_IMAGES, ...filter });
    if (page.length === 0) break;
    await platform.submitTask({ kind: REMATCH_VULNERABILITIES_TASK.kind, type: REMATCH_VULNERABILITIES_TASK.type, input: { imageIds: page, ...passOn } });
    summary.batches++;
    summary.images += page.length;
    after = page.at(-1);
    ctx.progress(0, `queued ${summary.batches} re-matching tasks (${summary.images} images)`);
    if (page.length < REMATCH_BATCH_IMAGES) break;
  }
  ctx.logger.info({ batches: summary.batches, images: summary.images, mode: summary.mode, changedPackages: summary.changedPackages }, 'planned re-matching');
  return summary;
}

/** Every report in one call where the emitter can (the worker's), else one call each. */
export async function emitReports(emit: ResultEmitter, reports: readonly ScopedFindings[]): Promise<void> {
  if (emit.reports) {
    await emit.reports(reports);
    return;
  }
  for (const { report, findings } of reports) await emit.findings(findings, report);
}
