import { CliError, EXIT_CODES, usageError, type CliHost } from '@bulkhead/plugin-sdk/cli';
import { buildScanReport, formatScanTable, type ScanReport } from '../report';

const FORMATS = ['table', 'json'] as const;

export interface ScanCommandOptions {
  format: string;
  server?: string;
  /** With `server`: upload the local docker-archive first and scan `docker-archive:upload:<id>`. */
  upload?: boolean;
  plugins: readonly string[];
}

/** `bulkhead scan <target>`: prints the report; returns the exit code. */
export async function scan(target: string, options: ScanCommandOptions, host: CliHost): Promise<number> {
  if (!(FORMATS as readonly string[]).includes(options.format)) throw usageError(`unknown --format ${JSON.stringify(options.format)}: use one of ${FORMATS.join(', ')}`);
  if (options.upload && !options.server) throw usageError('--upload needs --server (it sends the file to that API)');
  if (options.upload && !target.startsWith('docker-archive:')) throw usageError(`--upload takes a docker-archive:<file> target (save an OCI layout or root file system as a docker-archive first), not ${JSON.stringify(target)}`);
  const report = options.server ? await scanRemote(target, options.server, host, options.upload === true) : await scanInline(target, options.plugins, host);
  host.out(options.format === 'json' ? JSON.stringify(report, null, 2) : formatScanTable(report));
  return EXIT_CODES.ok;
}

/** The embedded default: the scanner plugin runs in this process; no Redis, no Postgres. */
async function scanInline(source: string, plugins: readonly string[], host: CliHost): Promise<ScanReport> {
  const outcome = await host.interruptible((signal) => host.runTask('scanner', 'scan-image', { source }, { signal, onProgress: host.progressPrinter(), plugins }));
  const digest = (outcome.output as { digest: string }).digest;
  const artifact = outcome.artifacts.find((a) => a.digest === digest);
  if (!artifact) throw new CliError(`the scanner reported no artifact for ${source}`);
  const packages = outcome.packages.find((p) => p.artifactDigest === digest)?.packages ?? [];
  return buildScanReport({ artifact, packages, findings: outcome.findings });
}

const IMAGE_QUERY = `query($digest: String!, $after: String) {
  image(digest: $digest) {
    digest manifestDigests references size layers { digest diffId size mediaType } os { family version name }
    packages(first: 500, after: $after) {
      edges { node { type name version sourceName sourceVersion purl layer } }
      pageInfo { hasNextPage endCursor }
    }
  }
}`;

interface RemoteImage {
  digest: string;
  manifestDigests: string[];
  references: string[];
  size: number;
  layers: ScanReport['artifact']['layers'];
  os: { family: string; version: string; name?: string } | null;
  packages: { edges: { node: ScanReport['packages'][number] }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } };
}

/** Submits the scan to a running API, waits for the task and reads the stored inventory back. */
async function scanRemote(target: string, server: string, host: CliHost, upload: boolean): Promise<ScanReport> {
  const api = host.server(server);
  let source = target;
  if (upload) {
    const sent = await api.upload(target.slice('docker-archive:'.length), { contentType: 'application/x-tar' });
    host.err(`uploaded ${target.slice('docker-archive:'.length)} (${sent.size} bytes, sha256 ${sent.sha256}) as ${sent.target}`);
    source = `docker-archive:${sent.target}`;
  }
  const { scanImage } = await api.request<{ scanImage: { id: string } }>(`mutation($source: String!) { scanImage(source: $source) { id } }`, { source });
  host.err(`submitted task ${scanImage.id} to ${api.endpoint}`);
  const print = host.progressPrinter();
  const task = await api.waitForTask(scanImage.id, (t) => print(t.progress, t.progressMessage ?? t.status));
  if (task.status !== 'SUCCEEDED') throw new CliError(`task ${task.id} ${task.status}: ${task.error ?? 'no error message'}`);
  // The task row links to the image it produced (Task.image).
  const produced = await api.request<{ task: { image: { digest: string } | null } | null }>(`query($id: ID!) { task(id: $id) { image { digest } } }`, { id: task.id });
  const digest = produced.task?.image?.digest;
  if (!digest) throw new CliError(`task ${task.id} succeeded without producing an image`);

  const packages: ScanReport['packages'] = [];
  let after: string | null = null;
  let image: RemoteImage;
  do {
    const page: { image: RemoteImage | null } = await api.request(IMAGE_QUERY, { digest, after });
    if (!page.image) throw new CliError(`image ${digest} is not stored on the server`);
    image = page.image;
    packages.push(...image.packages.edges.map((e) => e.node));
    after = image.packages.pageInfo.hasNextPage ? image.packages.pageInfo.endCursor : null;
  } while (after);
  return buildScanReport({
    artifact: {
      digest,
      manifestDigests: image.manifestDigests,
      references: image.references,
      size: image.size,
      layers: image.layers.map((l) => ({ ...l, diffId: l.diffId ?? undefined, mediaType: l.mediaType ?? undefined })),
      os: image.os ?? undefined,
    },
    packages: packages.map((p) => ({ ...p, layer: p.layer ?? undefined })),
    findings: [],
  });
}
