import { z } from 'zod';
import { defineTask } from '@bulkhead/plugin-sdk';
import { PostgresAdvisoryStore, type ImportReport } from '@bulkhead/vulndb';
import { IMPORT_ADVISORIES_TASK, MAX_IMPORT_PATHS, REMATCH_VULNERABILITIES_TASK } from './advisory-task-types';
import { importAdvisoryInputs } from './advisory-input';
import { requirePlatform } from './platform';
import { queueRematch, summariseImport, type ImportSummary } from './advisory-changes';

export const importAdvisoriesInput = z
  .object({
    paths: z
      .array(z.string().min(1).max(4096))
      .min(1)
      .max(MAX_IMPORT_PATHS)
      .describe('Advisory files or folders on the server (absolute paths under BULKHEAD_ALLOWED_PATHS): OSV .json / .jsonl / .zip / folders, Debian tracker lists or JSON, Alpine secdb JSON'),
  })
  .strict();

/**
 * `import-advisories`: imports advisory files on the server into the server's advisory store,
 * one transaction per source (a malformed record is skipped and reported, the rest imports), then,
 * when anything was stored, queues the re-matching of every team's images.
 */
export const importAdvisoriesTask = defineTask({
  type: IMPORT_ADVISORIES_TASK.type,
  description: 'Imports advisory files on the server into the advisory database (server only), then re-matches every team\'s images',
  input: importAdvisoriesInput,
  serverInputs: (input) => ({ paths: input.paths.map((path, index) => ({ field: `paths.${index}`, path })) }),
  everyTeamFollowUps: [REMATCH_VULNERABILITIES_TASK],
  async run(input, ctx): Promise<ImportSummary> {
    const platform = requirePlatform(ctx, IMPORT_ADVISORIES_TASK.type, 'bulkhead db import <path...>');
    const store = new PostgresAdvisoryStore(platform.database);
    ctx.progress(0, `importing ${input.paths.length} inputs`);
    const reports: ImportReport[] = await importAdvisoryInputs(store, input.paths, { signal: ctx.signal });
    for (const report of reports) {
      ctx.logger.info({ source: report.source, imported: report.imported, replaced: report.replaced, rejected: report.rejectedCount ?? report.rejected.length }, 'advisories imported');
    }
    return { sources: reports.map(summariseImport), rematch: await queueRematch(platform, ctx, reports) };
  },
});
