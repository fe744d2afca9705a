import type { Command } from 'commander';
import { endListOptionsAtOperands, type CliHost } from '@bulkhead/plugin-sdk/cli';

// `bulkhead db import|update|status`: the embedded advisory database in the cache directory.
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

  const update = db
    .command('update')
    .description('download advisory feeds (HTTP, conditional: unchanged feeds are not downloaded again) and import them; bulkhead has no built-in feeds')
    .option('--feed <urls...>', 'feed URL (an OSV .zip, JSON lines or JSON file): repeat --feed; remembered, so later runs need none')
    .option('--cache-dir <dir>', CACHE_DIR_HELP)
    .action(async (options: { feed?: string[]; cacheDir?: string }) => {
      const { dbUpdate } = await import('./db-update');
      host.exit(await dbUpdate(options.feed ?? [], options, host));
    });
  endListOptionsAtOperands(update);

  db.command('status')
    .description('the advisory database: sources, record counts, last update')
    .option('-f, --format <format>', 'output format (table, json)', 'table')
    .option('--cache-dir <dir>', CACHE_DIR_HELP)
    .action(async (options: { format: string; cacheDir?: string }) => {
      const { dbStatus } = await import('./db-status');
      host.exit(await dbStatus(options, host));
    });
}
