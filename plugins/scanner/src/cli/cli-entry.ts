import type { Command } from 'commander';
import { definePluginCli, endListOptionsAtOperands, type CliHost } from '@bulkhead/plugin-sdk/cli';

// `@bulkhead/plugin-scanner/cli`: `bulkhead scan` and `bulkhead db`. The scan itself runs through the host
// (`host.runTask`, the same runner as the worker), or on a running platform with --server.

function registerScan(scan: Command, host: CliHost): void {
  scan
    .argument('<target>', 'image reference, e.g. oci:./layout:latest, docker-archive:img.tar, rootfs:/, registry:ghcr.io/org/app:1 (or ghcr.io/org/app:1, localhost:5000/app@sha256:…), or sbom:bom.json (CycloneDX or SPDX JSON)')
    .option('-f, --format <format>', 'output format: table, json, sarif, cyclonedx, spdx', 'table')
    .option('--severity <list>', 'report only these severities, comma-separated (CRITICAL,HIGH,MEDIUM,LOW,INFO,UNKNOWN)')
    .option('--exit-code <n>', 'exit with N when findings remain after filters (and when vulnerabilities could not be checked for want of advisory data)')
    .option('--ignore-unfixed', 'leave out vulnerabilities without a fixed version')
    .option('--scanners <list>', 'what to look for, comma-separated: vuln, secret', 'vuln,secret')
    .option('-o, --output <file>', 'write the report to FILE (atomically, mode 0600) instead of standard output')
    .option('--vex <files...>', 'OpenVEX or CycloneDX VEX documents: not_affected statements suppress findings (repeat --vex, or end the list with --)')
    .option('--ignorefile <file>', `ignore file of advisory ids (default ./.bulkheadignore; .trivyignore format: id [exp:YYYY-MM-DD], # comments)`)
    .option('--show-suppressed', 'list findings suppressed by VEX or the ignore file, with the reason')
    .option('--list-packages', 'table format: list every package too')
    .option('--cache-dir <dir>', 'cache directory holding the advisory database (env BULKHEAD_CACHE_DIR; default ~/.cache/bulkhead)')
    .option('--platform <os/arch[/variant]>', 'registry images: the platform to pick from a multi-platform index (default linux/amd64, or the only one)')
    .option('--server <url>', 'submit to a running Bulkhead API instead of scanning inline, and wait')
    .option('--upload', 'with --server: upload the local docker-archive file first and scan the upload (the server reads no path of yours)')
    .option('--plugin <packages...>', 'extra npm plugin packages to load (inline mode): repeat --plugin, or end the list with -- before the target')
    .action(async (target: string, options: RawScanOptions) => {
      const { scan: run } = await import('./scan-command');
      host.exit(
        await run(
          target,
          {
            format: options.format,
            plugins: options.plugin ?? [],
            ...(options.server ? { server: options.server } : {}),
            ...(options.upload ? { upload: true } : {}),
            ...(options.severity !== undefined ? { severity: options.severity } : {}),
            ...(options.exitCode !== undefined ? { exitCode: options.exitCode } : {}),
            ...(options.ignoreUnfixed ? { ignoreUnfixed: true } : {}),
            ...(options.scanners !== undefined ? { scanners: options.scanners } : {}),
            ...(options.output !== undefined ? { output: options.output } : {}),
            ...(options.vex ? { vex: options.vex } : {}),
            ...(options.ignorefile !== undefined ? { ignorefile: options.ignorefile } : {}),
            ...(options.showSuppressed ? { showSuppressed: true } : {}),
            ...(options.listPackages ? { listPackages: true } : {}),
            ...(options.cacheDir !== undefined ? { cacheDir: options.cacheDir } : {}),
            ...(options.platform !== undefined ? { platform: options.platform } : {}),
          },
          host,
        ),
      );
    });
  endListOptionsAtOperands(scan);
}

interface RawScanOptions {
  format: string;
  server?: string;
  upload?: boolean;
  plugin?: string[];
  severity?: string;
  exitCode?: string;
  ignoreUnfixed?: boolean;
  scanners?: string;
  output?: string;
  vex?: string[];
  ignorefile?: string;
  showSuppressed?: boolean;
  listPackages?: boolean;
  cacheDir?: string;
  platform?: string;
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
    { name: 'scan', description: 'scan an image for vulnerabilities and secrets: oci:<dir>[:ref], docker-archive:<file>, rootfs:<dir>, registry:<ref> or sbom:<file>', register: registerScan },
    { name: 'db', description: 'the advisory database the scan matches against: db import, db update, db status', register: registerDb },
  ],
});
