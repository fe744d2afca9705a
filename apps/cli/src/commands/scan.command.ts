import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import { buildScanReport, formatScanTable, type ScanReport } from '@bulkhead/plugin-scanner';
import { CollectingEmitter, runTask } from '@bulkhead/plugin-sdk';
import { CliError, ExitCode, parseFormat, type CliIo } from '../cli-io';
import { cliRegistry } from '../registry';
import { GraphqlClient, waitForTask, type RemoteTask } from '../remote/graphql-client';

const FORMATS = ['table', 'json'] as const;

interface ScanOptions {
  format: string;
  server?: string;
  plugins?: string[];
}

export function registerScanCommand(program: Command, io: CliIo, done: (code: number) => void): void {
  program
    .command('scan')
    .description('inventory an image: oci:<dir>[:ref], docker-archive:<file> or rootfs:<dir>')
    .argument('<target>', 'image reference, e.g. oci:./layout:latest, docker-archive:img.tar, rootfs:/')
    .option('-f, --format <format>', `output format (${FORMATS.join(', ')})`, 'table')
    .option('--server <url>', 'submit to a running Bulkhead API instead of scanning inline, and wait')
    .option('--plugin <package...>', 'extra npm plugin packages to load (inline mode)')
    .action(async (target: string, options: ScanOptions & { plugin?: string[] }) => {
      done(await scan(target, { ...options, plugins: options.plugin }, io));
    });
}

export async function scan(target: string, options: ScanOptions, io: CliIo): Promise<number> {
  const format = parseFormat(options.format, FORMATS);
  const report = options.server ? await scanRemote(target, options.server, io) : await scanInline(target, options.plugins ?? [], io);
  io.out(format === 'json' ? JSON.stringify(report, null, 2) : formatScanTable(report));
  return ExitCode.ok;
}

/** The embedded default: the scanner plugin runs in this process; no Redis, no Postgres. */
async function scanInline(source: string, plugins: string[], io: CliIo): Promise<ScanReport> {
  const emit = new CollectingEmitter();
  const controller = new AbortController();
  const onSignal = () => controller.abort(new CliError('interrupted'));
  process.once('SIGINT', onSignal);
  try {
    const { output } = await runTask(
      { taskId: randomUUID(), kind: 'scanner', type: 'scan-image', input: { source } },
      {
        registry: cliRegistry(plugins),
        emit,
        signal: controller.signal,
        onProgress: progressPrinter(io),
      },
    );
    const digest = (output as { digest: string }).digest;
    const artifact = emit.artifacts.get(digest);
    if (!artifact) throw new CliError(`the scanner reported no artifact for ${source}`);
    return buildScanReport({ artifact, packages: emit.packagesByArtifact.get(digest) ?? [], findings: emit.findingList });
  } finally {
    process.removeListener('SIGINT', onSignal);
  }
}

const IMAGE_QUERY = `query($digest: String!, $after: String) {
  image(digest: $digest) {
    digest references size layers { digest diffId size mediaType } os { family version name }
    packages(first: 500, after: $after) {
      edges { node { type name version sourceName sourceVersion purl layer } }
      pageInfo { hasNextPage endCursor }
    }
  }
}`;

interface RemoteImage {
  digest: string;
  references: string[];
  size: number;
  layers: ScanReport['artifact']['layers'];
  os: { family: string; version: string; name?: string } | null;
  packages: { edges: { node: ScanReport['packages'][number] }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } };
}

/** Submits the scan to a running API, waits for the task and reads the stored inventory back. */
async function scanRemote(source: string, server: string, io: CliIo): Promise<ScanReport> {
  const client = new GraphqlClient(server);
  const { scanImage } = await client.request<{ scanImage: { id: string } }>(`mutation($source: String!) { scanImage(source: $source) { id } }`, {
    source,
  });
  io.err(`submitted task ${scanImage.id} to ${client.endpoint}`);
  const print = progressPrinter(io);
  const task = await waitForTask(client, scanImage.id, (t: RemoteTask) => print(t.progress, t.progressMessage ?? t.status));
  if (task.status !== 'SUCCEEDED') throw new CliError(`task ${task.id} ${task.status}: ${task.error ?? 'no error message'}`);
  const digest = (task.result as { digest?: string } | null)?.digest;
  if (!digest) throw new CliError(`task ${task.id} succeeded without an artifact digest in its result`);

  const packages: ScanReport['packages'] = [];
  let after: string | null = null;
  let image: RemoteImage;
  do {
    const page: { image: RemoteImage | null } = await client.request(IMAGE_QUERY, { digest, after });
    if (!page.image) throw new CliError(`image ${digest} is not stored on the server`);
    image = page.image;
    packages.push(...image.packages.edges.map((e) => e.node));
    after = image.packages.pageInfo.hasNextPage ? image.packages.pageInfo.endCursor : null;
  } while (after);
  return buildScanReport({
    artifact: {
      digest,
      references: image.references,
      size: image.size,
      layers: image.layers.map((l) => ({ ...l, diffId: l.diffId ?? undefined, mediaType: l.mediaType ?? undefined })),
      os: image.os ?? undefined,
    },
    packages: packages.map((p) => ({ ...p, layer: p.layer ?? undefined })),
    findings: [],
  });
}

/** Progress on stderr (stdout stays machine-readable), at most once per whole percent. */
function progressPrinter(io: CliIo): (fraction: number, message?: string | null) => void {
  if (!process.stderr.isTTY && process.env['BULKHEAD_PROGRESS'] !== '1') return () => undefined;
  let last = -1;
  return (fraction, message) => {
    const percent = Math.floor(fraction * 100);
    if (percent === last) return;
    last = percent;
    io.err(`[${String(percent).padStart(3)}%] ${message ?? ''}`);
  };
}

export { ExitCode };
