import type { Command } from 'commander';
import { endListOptionsAtOperands, type CliHost } from '@bulkhead/plugin-sdk/cli';

// `bulkhead db import|status`: the embedded advisory database in the cache directory.
// Implementations load lazily (import()) so that `bulkhead --help` never opens a database.

const CACHE_DIR_HELP = 'cache directory (default: $BULKHEAD_CACHE_DIR, else $XDG_CACHE_HOME/bulkhead or ~/.cache/bulkhead)';

export function registerDb(db: Command, host: CliHost): void {
  const importCommand = db
    .command('import')
    .description('import advisories: OSV files, folders, .zip archives or JSON lines, Debian security tracker lists or JSON, Alpine secdb JSON')
    .argument('<paths...>', 'files or folders to import; each is one source, replaced whole when imported again')
    .option('--cache-dir <dir>', CACHE_DIR_HELP)
    .action(async (paths: string[], options: { cacheDir?: string }) => {
      const { dbImport } = await import('./db-import');
      host.exit(await dbImport(paths, options, host));
    });
  endListOptionsAtOperands(importCommand);

  db.command('status')
    .description('the advisory database: sources, record counts, last update')
    .option('-f, --format <format>', 'output format (table, json)', 'table')
    .option('--cache-dir <dir>', CACHE_DIR_HELP)
    .action(async (options: { format: string; cacheDir?: string }) => {
      const { dbStatus } = await import('./db-status');
      host.exit(await dbStatus(options, host));
    });
}
