import type { Command } from 'commander';
import { definePluginCli, endListOptionsAtOperands, type CliHost } from '@bulkhead/plugin-sdk/cli';

// `@bulkhead/plugin-scanner/cli`: `bulkhead scan`. The scan itself runs through the host
// (`host.runTask`, the same runner as the worker), or on a running platform with --server.

function registerScan(scan: Command, host: CliHost): void {
  scan
    .argument('<target>', 'image reference, e.g. oci:./layout:latest, docker-archive:img.tar, rootfs:/')
    .option('-f, --format <format>', 'output format (table, json)', 'table')
    .option('--server <url>', 'submit to a running Bulkhead API instead of scanning inline, and wait')
    .option('--upload', 'with --server: upload the local docker-archive file first and scan the upload (the server reads no path of yours)')
    .option('--plugin <packages...>', 'extra npm plugin packages to load (inline mode): repeat --plugin, or end the list with -- before the target')
    .action(async (target: string, options: { format: string; server?: string; upload?: boolean; plugin?: string[] }) => {
      const { scan: run } = await import('./scan-command');
      host.exit(await run(target, { format: options.format, ...(options.server ? { server: options.server } : {}), upload: options.upload === true, plugins: options.plugin ?? [] }, host));
    });
  endListOptionsAtOperands(scan);
}

export default definePluginCli({
  commands: [{ name: 'scan', description: 'inventory an image: oci:<dir>[:ref], docker-archive:<file> or rootfs:<dir>', register: registerScan }],
});
