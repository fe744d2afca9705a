import path from 'node:path';
import { BadInputError } from '@bulkhead/plugin-sdk';
import { EXIT_CODES, usageError, type CliHost } from '@bulkhead/plugin-sdk/cli';
import { readAdvisoryInput } from './db-readers';
import { importSummary, rejectionLines } from './db-report';
import { withEmbeddedStore, type CacheDirOption } from './db-store';

/**
 * `bulkhead db import <path...>`: each path (an OSV file, folder, zip or JSON lines, a Debian
 * tracker list or JSON, an Alpine secdb file) is one source of the embedded store, named by its
 * absolute path, imported in one transaction that replaces what the same path imported before
 * (records the file no longer holds are removed). Malformed records are skipped and reported on
 * stderr. Returns the exit code: 1 when a path failed or yielded no advisory at all.
 */
export async function dbImport(paths: readonly string[], options: CacheDirOption, host: CliHost): Promise<number> {
  if (paths.length === 0) throw usageError('db import: give at least one file or folder of advisories');
  return withEmbeddedStore(options, 'write', async (store) => {
    let failed = 0;
    for (const given of paths) {
      const source = path.resolve(given);
      try {
        const records = await readAdvisoryInput(source);
        const report = await host.interruptible(() => store.import(source, records, undefined, { replaceSource: true }));
        host.out(importSummary(given, report));
        for (const line of rejectionLines(given, report)) host.err(line);
        if (report.imported === 0) {
          host.err(`${given}: no advisory imported`);
          failed++;
        }
      } catch (error) {
        if (!(error instanceof BadInputError)) throw error;
        host.err(`${given}: not imported (nothing of it was stored): ${error.message}`);
        failed++;
      }
    }
    return failed > 0 ? EXIT_CODES.failed : EXIT_CODES.ok;
  });
}
