import { BadInputError } from '@bulkhead/plugin-sdk';
import { EXIT_CODES, fileProblem, usageError, type CliHost } from '@bulkhead/plugin-sdk/cli';
import { planImports } from './db-readers';
import { importSummary, rejectionLines, withRecordProgress } from './db-report';
import { withEmbeddedStore, type CacheDirOption } from './db-store';

/**
 * `bulkhead db import <path...>`: OSV files, folders, zips and JSON lines, Debian tracker lists
 * (CVE/DSA/DLA together) or JSON, Alpine secdb files. Every input (group, see planImports) is
 * one source of the embedded store, imported in one transaction that replaces what the same
 * source imported before (records it no longer holds are removed). Malformed records are
 * skipped and reported on stderr. Returns the exit code: 1 when an input failed or yielded no
 * advisory at all (the others are still imported).
 */
export async function dbImport(paths: readonly string[], options: CacheDirOption, host: CliHost): Promise<number> {
  if (paths.length === 0) throw usageError('db import: give at least one file or folder of advisories');
  let failed = 0;
  const readable: string[] = [];
  // Each path is recognised first: one that cannot be read is reported, the others imported.
  for (const given of paths) {
    try {
      await planImports([given]);
      readable.push(given);
    } catch (error) {
      if (!(error instanceof BadInputError)) throw error;
      // A file system error in words (`no such file or directory`), not its code.
      const cause = error.cause as NodeJS.ErrnoException | undefined;
      host.err(namedFailure(given, 'not imported', cause?.code ? `${given}: ${fileProblem(cause)}` : error.message));
      failed++;
    }
  }
  // Planned together: Debian tracker lists given as separate paths are converted as one.
  const planned = readable.length > 0 ? await planImports(readable) : [];
  return withEmbeddedStore(options, 'write', async (store) => {
    const progress = host.progressPrinter();
    for (const [index, input] of planned.entries()) {
      try {
        const records = withRecordProgress(input.read(), input.label, index, planned.length, progress);
        const report = await host.interruptible(() => store.import(input.source, records, undefined, { replaceSource: true }));
        host.out(importSummary(input.label, report));
        for (const line of rejectionLines(input.label, report)) host.err(line);
        if (report.imported === 0) {
          host.err(`${input.label}: no advisory imported`);
          failed++;
        }
      } catch (error) {
        if (!(error instanceof BadInputError)) throw error;
        host.err(namedFailure(input.label, 'not imported (nothing of it was stored)', error.message));
        failed++;
      }
    }
    return failed > 0 ? EXIT_CODES.failed : EXIT_CODES.ok;
  });
}

/** `<label>: <what>: <message>`, without naming the path twice when the message already starts with it. */
function namedFailure(label: string, what: string, message: string): string {
  return message.startsWith(`${label}:`) ? `${what}: ${message}` : `${label}: ${what}: ${message}`;
}
