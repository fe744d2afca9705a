import type { Command } from 'commander';
import { definePluginCli, endListOptionsAtOperands, type CliHost } from '@bulkhead/plugin-sdk/cli';

// `@bulkhead/plugin-scanner/cli`: `bulkhead scan` and `bulkhead db`. The scan itself runs through the host
// (`host.runTask`, the same runner as the worker), or on a running platform with --server.

function registerScan(scan: Command, host: CliHost): void {
  scan
    .argument('<target>', 'image reference, e.g. oci:./layout:latest, docker-archive:img.tar, rootfs:/')
    .option('-f, --format <format>', 'output format (table, json)', 'table')
    .option('--server <url>', 'submit to a running Bulkhead API instead of scanning inline, and wait')
    .option('--plugin <packages...>', 'extra npm plugin packages to load (inline mode): repeat --plugin, or end the list with -- before the target')
    .action(async (target: string, options: { format: string; server?: string; plugin?: string[] }) => {
      const { scan: run } = await import('./scan-command');
      host.exit(await run(target, { format: options.format, ...(options.server ? { server: options.server } : {}), plugins: options.plugin ?? [] }, host));
    });
  endListOptionsAtOperands(scan);
}

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

export default definePluginCli({
  commands: [
    { name: 'scan', description: 'inventory an image: oci:<dir>[:ref], docker-archive:<file> or rootfs:<dir>', register: registerScan },
    { name: 'db', description: 'the advisory database the scan matches against: db import, db update, db status', register: registerDb },
  ],
});
