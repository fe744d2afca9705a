import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { BadInputError, SEVERITIES, type FindingResult, type Severity } from '@bulkhead/plugin-sdk';
import { CliError, expiredRulesNotice, loadIgnoreFile, rulesInForce, usageError, type CliHost, type IgnoreRule } from '@bulkhead/plugin-sdk/cli';
import { parsePlatform } from '@bulkhead/oci';
import { SCANNER_PLUGIN_VERSION, type ScanImageSummary } from '../plugin';
import {
  applyReportPolicy,
  buildScanReport,
  exitCodeFor,
  formatCycloneDx,
  formatSarif,
  formatScanTable,
  formatSpdx,
  SCANNERS,
  type ReportPackage,
  type ReportPolicy,
  type ScanReport,
  type ScannerName,
  type SecretScanStatus,
  type VulnerabilityScanStatus,
} from '../report';
import { readVex } from '../vex';

export const FORMATS = ['table', 'json', 'sarif', 'cyclonedx', 'spdx'] as const;
export type ReportFormat = (typeof FORMATS)[number];

export interface ScanCommandOptions {
  format: string;
  server?: string;
  /** With `server`: upload the local docker-archive first and scan `docker-archive:upload:<id>`. */
  upload?: boolean;
  plugins: readonly string[];
  /** Comma-separated severities (`--severity HIGH,CRITICAL`). */
  severity?: string;
  /** `--exit-code N`: N when findings remain (or vulnerabilities could not be checked). */
  exitCode?: string;
  ignoreUnfixed?: boolean;
  /** Comma-separated scanners (`--scanners vuln,secret`). */
  scanners?: string;
  output?: string;
  vex?: readonly string[];
  ignorefile?: string;
  showSuppressed?: boolean;
  listPackages?: boolean;
  cacheDir?: string;
  /** `--platform os/arch[/variant]`: the image to pick from a registry's multi-platform index. */
  platform?: string;
  /** Working directory for the default ignore file (tests); default process.cwd(). */
  cwd?: string;
}

interface ParsedOptions {
  format: ReportFormat;
  severities?: Severity[];
  exitCode: number;
  scanners: ScannerName[];
}

function list(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const items = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return items;
}

export function parseScanOptions(options: ScanCommandOptions): ParsedOptions {
  if (!(FORMATS as readonly string[]).includes(options.format)) throw usageError(`unknown --format ${JSON.stringify(options.format)}: use one of ${FORMATS.join(', ')}`);
  const severityList = list(options.severity);
  let severities: Severity[] | undefined;
  if (severityList !== undefined) {
    if (severityList.length === 0) throw usageError('--severity needs at least one of ' + SEVERITIES.join(', '));
    const upper = severityList.map((s) => s.toUpperCase());
    const unknown = upper.filter((s) => !(SEVERITIES as readonly string[]).includes(s));
    if (unknown.length > 0) throw usageError(`unknown --severity ${unknown.join(', ')}: use ${SEVERITIES.join(', ')}`);
    severities = upper as Severity[];
  }
  let exitCode = 0;
  if (options.exitCode !== undefined) {
    if (!/^\d{1,3}$/.test(options.exitCode) || Number(options.exitCode) > 255) throw usageError(`--exit-code ${JSON.stringify(options.exitCode)}: expected a number from 0 to 255`);
    exitCode = Number(options.exitCode);
  }
  const scannerList = list(options.scanners) ?? [...SCANNERS];
  const badScanner = scannerList.filter((s) => !(SCANNERS as readonly string[]).includes(s));
  if (badScanner.length > 0 || scannerList.length === 0) throw usageError(`--scanners ${JSON.stringify(options.scanners)}: use one or more of ${SCANNERS.join(', ')}, comma-separated`);
  return { format: options.format as ReportFormat, ...(severities ? { severities } : {}), exitCode, scanners: [...new Set(scannerList)] as ScannerName[] };
}

/** What a scan produced, before the report policy: the same for inline and --server. */
interface ScanOutcome {
  report: ScanReport;
}

/** `bulkhead scan <target>`: prints (or writes) the report; returns the exit code. */
export async function scan(target: string, options: ScanCommandOptions, host: CliHost): Promise<number> {
  const parsed = parseScanOptions(options);
  if (options.platform !== undefined) {
    if (options.server) throw usageError('--platform applies to inline scans; a server scan picks linux/amd64 (or the only platform) of the index');
    try {
      parsePlatform(options.platform);
    } catch (error) {
      throw usageError(`--platform: ${(error as Error).message}`);
    }
  }
  if (options.upload && !options.server) throw usageError('--upload needs --server (it sends the file to that API)');
  if (options.upload && !target.startsWith('docker-archive:')) throw usageError(`--upload takes a docker-archive:<file> target (save an OCI layout or root file system as a docker-archive first), not ${JSON.stringify(target)}`);
  // Read the user's policy files before scanning: a typo in --vex must not cost a whole scan.
  const { policy, expired } = await loadPolicy(options, parsed);
  const { report: raw } = options.server ? await scanRemote(target, options.server, parsed, host, options.upload === true) : await scanInline(target, options, parsed, host);
  const report = applyReportPolicy(raw, policy);
  const notice = expiredRulesNotice(expired);
  if (notice) host.err(notice);
  if (report.vulnerabilityScan.status === 'no-advisory-data' && (parsed.format !== 'table' || options.output)) {
    // The table says it in its body; for machine formats, say it on stderr too.
    host.err(`warning: vulnerabilities not checked: ${report.vulnerabilityScan.message}`);
  }
  const text = render(report, parsed.format, options.listPackages === true);
  if (options.output) await writeAtomically(options.output, text);
  else host.out(text);
  return exitCodeFor(report, parsed.exitCode);
}

function render(report: ScanReport, format: ReportFormat, listPackages: boolean): string {
  const tool = { version: SCANNER_PLUGIN_VERSION };
  switch (format) {
    case 'table':
      return formatScanTable(report, { listPackages });
    case 'json':
      return JSON.stringify(report, null, 2);
    case 'sarif':
      return JSON.stringify(formatSarif(report, tool), null, 2);
    case 'cyclonedx':
      return formatCycloneDx(report, tool);
    case 'spdx':
      return formatSpdx(report, tool);
  }
}

/** The user's filters and policy files (the ignore file in the SDK's shared format, VEX documents). */
async function loadPolicy(options: ScanCommandOptions, parsed: ParsedOptions): Promise<{ policy: ReportPolicy; expired: IgnoreRule[] }> {
  const { rules } = await loadIgnoreFile(options.ignorefile, options.cwd ?? process.cwd());
  const { active, expired } = rulesInForce(rules);
  try {
    const vex = await Promise.all((options.vex ?? []).map((file) => readVex(file)));
    const policy: ReportPolicy = {
      ...(parsed.severities ? { severities: parsed.severities } : {}),
      ...(options.ignoreUnfixed ? { ignoreUnfixed: true } : {}),
      ...(active.length > 0 ? { ignore: active } : {}),
      ...(vex.length > 0 ? { vex } : {}),
      ...(options.showSuppressed ? { showSuppressed: true } : {}),
    };
    return { policy, expired };
  } catch (error) {
    if (error instanceof BadInputError) throw new CliError((error as Error).message);
    throw error;
  }
}

/**
 * Writes the report next to its destination and renames it into place, so a reader never sees
 * half a report and a failed write leaves the previous file. Mode 0600: a report maps the
 * image's weaknesses (unpatched packages, where secrets sit), so it is private unless the user
 * widens it; an existing file is replaced with the same private mode.
 */
export async function writeAtomically(file: string, text: string): Promise<void> {
  const target = path.resolve(file);
  const temp = path.join(path.dirname(target), `.${path.basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
  let handle;
  try {
    handle = await open(temp, 'wx', 0o600);
    await handle.writeFile(text.endsWith('\n') ? text : `${text}\n`);
    await handle.sync();
    await handle.close();
    handle = undefined;
    await rename(temp, target);
  } catch (error) {
    await handle?.close().catch(() => undefined);
    await rm(temp, { force: true });
    throw new CliError(`cannot write --output ${file}: ${(error as Error).message}`);
  }
}

/** The embedded default: the scanner plugin runs in this process; no Redis, no Postgres. */
async function scanInline(source: string, options: ScanCommandOptions, parsed: ParsedOptions, host: CliHost): Promise<ScanOutcome> {
  const input = {
    source,
    scanners: parsed.scanners,
    ...(options.ignoreUnfixed ? { ignoreUnfixed: true } : {}),
    ...(options.cacheDir ? { cacheDir: options.cacheDir } : {}),
    ...(options.platform ? { platform: options.platform } : {}),
  };
  const outcome = await host.interruptible((signal) => host.runTask('scanner', 'scan-image', input, { signal, onProgress: host.progressPrinter(), plugins: options.plugins }));
  const summary = outcome.output as ScanImageSummary;
  const artifact = outcome.artifacts.find((a) => a.digest === summary.digest);
  if (!artifact) throw new CliError(`the scanner reported no artifact for ${source}`);
  const packages = outcome.packages.find((p) => p.artifactDigest === summary.digest)?.packages ?? [];
  return {
    report: buildScanReport({ artifact, packages, findings: outcome.findings, vulnerabilityScan: summary.vulnerabilityScan, secretScan: summary.secretScan }),
  };
}

const IMAGE_QUERY = `query($digest: String!, $after: String) {
  image(digest: $digest) {
    digest manifestDigests references size layers { digest diffId size mediaType } os { family version name }
    packages(first: 500, after: $after) {
      edges { node { type name version sourceName sourceVersion purl layer path } }
      pageInfo { hasNextPage endCursor }
    }
  }
}`;

const FINDINGS_QUERY = `query($target: String!, $after: String) {
  findings(filter: { target: $target, status: OPEN }, first: 500, after: $after) {
    edges { node { kind severity ruleId title target location data } }
    pageInfo { hasNextPage endCursor }
  }
}`;

/** A package as the API returns it: the report's shape, `path` absent on older servers. */
type RemotePackage = Omit<ReportPackage, 'path'> & { path?: string | null };

interface RemoteImage {
  digest: string;
  manifestDigests: string[];
  references: string[];
  size: number;
  layers: ScanReport['artifact']['layers'];
  os: { family: string; version: string; name?: string } | null;
  packages: { edges: { node: RemotePackage }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } };
}

interface RemoteFindings {
  findings: { edges: { node: FindingResult & { location: string | null; data: Record<string, unknown> | null } }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } };
}

/**
 * Submits the scan to a running API, waits for the task and reads the stored inventory and the
 * image's open findings back. The server scans with every scanner; --scanners, --severity and
 * the rest are applied here, to what the server stored.
 */
async function scanRemote(target: string, server: string, parsed: ParsedOptions, host: CliHost, upload: boolean): Promise<ScanOutcome> {
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

  const packages: RemotePackage[] = [];
  let after: string | null = null;
  let image: RemoteImage;
  do {
    const page: { image: RemoteImage | null } = await api.request(IMAGE_QUERY, { digest, after });
    if (!page.image) throw new CliError(`image ${digest} is not stored on the server`);
    image = page.image;
    packages.push(...image.packages.edges.map((e) => e.node));
    after = image.packages.pageInfo.hasNextPage ? image.packages.pageInfo.endCursor : null;
  } while (after);

  const findings: FindingResult[] = [];
  after = null;
  do {
    const page: RemoteFindings = await api.request(FINDINGS_QUERY, { target: digest, after });
    for (const { node } of page.findings.edges) {
      findings.push({ kind: node.kind, severity: node.severity, ruleId: node.ruleId, title: node.title, target: node.target, ...(node.location ? { location: node.location } : {}), ...(node.data ? { data: node.data } : {}) });
    }
    after = page.findings.pageInfo.hasNextPage ? page.findings.pageInfo.endCursor : null;
  } while (after);

  const summary = (task.result ?? {}) as Partial<ScanImageSummary>;
  const vulnerabilityScan: VulnerabilityScanStatus = !parsed.scanners.includes('vuln')
    ? { status: 'not-requested' }
    : (summary.vulnerabilityScan ?? { status: 'no-advisory-data', database: 'server', message: 'the server did not report a vulnerability check (an older server?)' });
  const secretScan: SecretScanStatus = parsed.scanners.includes('secret') ? (summary.secretScan ?? { status: 'not-requested' }) : { status: 'not-requested' };
  const wanted = findings.filter((f) => {
    const type = (f.data as { findingType?: string } | undefined)?.findingType;
    if (type === 'vulnerability') return parsed.scanners.includes('vuln');
    if (type === 'secret') return parsed.scanners.includes('secret');
    return true;
  });
  return {
    report: buildScanReport({
      artifact: {
        digest,
        manifestDigests: image.manifestDigests,
        references: image.references,
        size: image.size,
        layers: image.layers.map((l) => ({ ...l, diffId: l.diffId ?? undefined, mediaType: l.mediaType ?? undefined })),
        os: image.os ?? undefined,
      },
      packages: packages.map((p) => ({ ...p, layer: p.layer ?? undefined, path: p.path || undefined })),
      findings: wanted,
      vulnerabilityScan,
      secretScan,
    }),
  };
}
