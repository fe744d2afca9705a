import type { Command } from 'commander';
import { definePluginCli, endListOptionsAtOperands, type CliHost } from '@bulkhead/plugin-sdk/cli';
import { registerDb } from './db-command';

// `@bulkhead/plugin-scanner/cli`: `bulkhead scan`. The scan itself runs through the host
// (`host.runTask`, the same runner as the worker), or on a running platform with --server.

function registerScan(scan: Command, host: CliHost): void {
  scan
    .argument('<target>', 'image reference, e.g. oci:./layout:latest, docker-archive:img.tar, rootfs:/, or sbom:bom.json (CycloneDX or SPDX JSON)')
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
    .option('--server <url>', 'submit to a running Bulkhead API instead of scanning inline, and wait')
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
}

export default definePluginCli({
  commands: [
    { name: 'scan', description: 'scan an image for vulnerabilities and secrets: oci:<dir>[:ref], docker-archive:<file>, rootfs:<dir> or sbom:<file>', register: registerScan },
    { name: 'db', description: 'the advisory database the scan matches against: db import, db update, db status', register: registerDb },
  ],
});
