import { existsSync } from 'node:fs';
import { z } from 'zod';
import { definePlugin, defineTask, platformPullCredentials, type ArtifactResult, type FindingResult, type PackageResult, type TaskContext } from '@bulkhead/plugin-sdk';
import { parseImageReference, parsePlatform, registryServerConfigFromEnv, type RegistryClientOptions } from '@bulkhead/oci';
import { AdvisoryDatabaseError, embeddedStorePath, openEmbeddedAdvisoryStore, resolveCacheDir, type AdvisoryStore } from '@bulkhead/vulndb';
import { builtinAnalyzers } from './analyzers';
import { noAdvisoryDataMessage, SCANNERS, type SecretScanStatus, type VulnerabilityScanStatus } from './report/scan-status';
import { isSbomReference, readSbom, sbomFileOf } from './sbom/read-sbom';
import { scanArtifact } from './scan';
import { defaultScanDependencies } from './scan-dependencies';
import { isScannerFindingData } from './findings/finding-data';
import { matchInventory, SECRET_PRODUCER, VULNERABILITY_PRODUCER, type ScanImageDependencies } from './vulnerability-scan';
import { importAdvisoriesTask } from './tasks/import-advisories';
import { rematchVulnerabilitiesTask } from './tasks/rematch-vulnerabilities';
import { updateAdvisoriesTask } from './tasks/update-advisories';
import { harborCredentialsForTask } from './harbor/worker-credentials';

export const SCANNER_PLUGIN_VERSION = '0.2.0';

export const scanImageInput = z.object({
  source: z
    .string()
    .min(1)
    .describe('Image reference: oci:<dir>[:<ref>], docker-archive:<file>, rootfs:<dir>, registry:<host>[:port]/<repo>(:<tag>|@<digest>) (or the same without registry: when it starts with a host), or sbom:<file> (CycloneDX or SPDX JSON)'),
  platform: z.string().min(1).optional().describe('For registry images: the platform to pick from a multi-platform index, os/arch[/variant] (default linux/amd64, or the only one)'),
  scanners: z
    .array(z.enum(SCANNERS))
    .min(1)
    .default([...SCANNERS])
    .describe('What to look for besides the inventory: vuln (advisory matching), secret'),
  ignoreUnfixed: z.boolean().default(false).describe('Leave out vulnerabilities without a fixed version'),
  cacheDir: z.string().min(1).optional().describe('CLI only: the cache directory of the embedded advisory database (never settable through a server)'),
  harborScan: z.uuid().optional().describe('Server only, set by the Harbor adapter: the scan request whose registry credential the worker pulls with (only for the image that request named)'),
});

export interface ScanImageSummary {
  /** The image id (config digest); a root file system's or SBOM's content digest. */
  digest: string;
  os: { family: string; version: string } | null;
  packageCount: number;
  vulnerabilityScan: VulnerabilityScanStatus;
  secretScan: SecretScanStatus;
  vulnerabilityCount: number;
  secretCount: number;
}

/** On a server the advisories are imported through the API, not with the CLI's db commands. */
const PLATFORM_NO_DATA = 'no advisories in the platform database — import them with the importAdvisories or updateAdvisories mutation (operator / admin)';

/** Postgres' SQLSTATE for a relation that does not exist. */
const UNDEFINED_TABLE = '42P01';
const PLATFORM_NO_TABLES = "the platform database has no advisory tables: start the API with the scanner plugin once (it runs the plugin's migrations), then import advisories";

function sqlState(error: unknown): string | undefined {
  const e = error as { code?: unknown; driverError?: { code?: unknown } } | undefined;
  const code = e?.code ?? e?.driverError?.code;
  return typeof code === 'string' ? code : undefined;
}

type AdvisorySource = { store: AdvisoryStore; location: string } | { missing: VulnerabilityScanStatus };

/**
 * Where this run's advisories are: the platform's Postgres store on a worker, else the embedded
 * database in the CLI's cache directory. No database (or an empty one) is reported as such,
 * never as "no vulnerabilities".
 */
async function openAdvisories(ctx: TaskContext, cacheDir: string | undefined, deps: ScanImageDependencies): Promise<AdvisorySource> {
  if (ctx.platform) return { store: deps.platformStore(ctx.platform.database), location: 'postgres' };
  const dir = resolveCacheDir(cacheDir, process.env);
  const file = embeddedStorePath(dir);
  if (!existsSync(file)) return { missing: { status: 'no-advisory-data', database: file, message: noAdvisoryDataMessage(file) } };
  try {
    return { store: openEmbeddedAdvisoryStore(dir), location: file };
  } catch (error) {
    // A database the user must act on (empty, locked by an import, another schema, not a
    // database): reported with the store's own sentence, never as a clean scan.
    if (error instanceof AdvisoryDatabaseError) return { missing: { status: 'no-advisory-data', database: file, message: error.message } };
    throw error;
  }
}

async function scanVulnerabilities(
  ctx: TaskContext,
  input: z.output<typeof scanImageInput>,
  artifact: ArtifactResult,
  packages: readonly PackageResult[],
  deps: ScanImageDependencies,
): Promise<{ status: VulnerabilityScanStatus; findings: FindingResult[] }> {
  const source = await openAdvisories(ctx, input.cacheDir, deps);
  if ('missing' in source) return { status: source.missing, findings: [] };
  try {
    let status: Awaited<ReturnType<AdvisoryStore['status']>>;
    try {
      status = await source.store.status();
    } catch (error) {
      // A worker whose database never ran the scanner's migrations (they run when the API
      // starts with this plugin): not checked, and said so, rather than a failed scan.
      if (ctx.platform && sqlState(error) === UNDEFINED_TABLE) {
        return { status: { status: 'no-advisory-data', database: source.location, message: PLATFORM_NO_TABLES }, findings: [] };
      }
      throw error;
    }
    if (status.advisories === 0) {
      const message = ctx.platform ? PLATFORM_NO_DATA : noAdvisoryDataMessage(source.location);
      return { status: { status: 'no-advisory-data', database: source.location, message }, findings: [] };
    }
    ctx.progress(0.95, `matching ${packages.length} packages against ${status.advisories} advisories`);
    const matched = await matchInventory(artifact.digest, packages, artifact.os, source.store, deps.match, { ignoreUnfixed: input.ignoreUnfixed, signal: ctx.signal });
    const updatedAt = status.sources.map((s) => s.updatedAt).sort().at(-1);
    return {
      status: {
        status: 'checked',
        database: source.location,
        advisories: status.advisories,
        ...(updatedAt ? { updatedAt } : {}),
        packagesChecked: matched.packagesChecked,
        packagesNotCovered: matched.packagesNotCovered,
      },
      findings: matched.findings,
    };
  } finally {
    await source.store.close();
  }
}

/**
 * How a registry image is reached. On a worker (`ctx.platform` set) the task fetches on a
 * client's behalf: only the hosts of BULKHEAD_REGISTRY_ALLOWED_HOSTS, never link-local or
 * metadata addresses, private ranges only with BULKHEAD_REGISTRY_ALLOW_PRIVATE (see
 * registryServerConfigFromEnv). Inline (the CLI) the user reaches what they can reach anyway.
 * Either way plain HTTP is for loopback and BULKHEAD_REGISTRY_INSECURE_HOSTS only.
 */
/** The platform's registry credentials for a registry source (none for other sources, inline, or without a provider). */
function platformCredentials(ctx: TaskContext, source: string): RegistryClientOptions['credentials'] {
  if (!ctx.platform || isSbomReference(source)) return undefined;
  const parsed = parseImageReference(source);
  if (parsed.kind !== 'registry') return undefined;
  const { registry, repository, digest } = parsed.image;
  return platformPullCredentials(ctx.platform, { registry, repository, ...(digest ? { digest } : {}) });
}

function registryClientOptions(ctx: TaskContext): RegistryClientOptions {
  if (ctx.platform) return { ...registryServerConfigFromEnv(process.env), signal: ctx.signal };
  const insecureHosts = (process.env['BULKHEAD_REGISTRY_INSECURE_HOSTS'] ?? '').split(',').map((h) => h.trim()).filter(Boolean);
  return { insecureHosts, signal: ctx.signal };
}

/**
 * `scan-image`: one pass over an image (or root file system, or SBOM): inventory, vulnerability
 * matching and secrets, emitted as the artifact, its packages and findings.
 *
 * Vulnerability findings go out as a complete report (producer `scanner/vulnerability`, scope
 * the image id), so a later scan or re-match resolves what no longer matches. Without advisory
 * data nothing is reported under that producer: an absent database is not evidence that earlier
 * findings are fixed.
 */
export function createScanImageTask(deps: ScanImageDependencies) {
  return defineTask({
    type: 'scan-image',
    description: 'Inventories an image, root file system or SBOM (OS, OS and language packages, per layer), matches the packages against advisories and finds secrets',
    input: scanImageInput,
    serverInputs(input) {
      // cacheDir names a folder on the machine that runs the task: a server client may not set it
      // (a server matches against its own database, never a cache folder).
      const trustedFields = input.cacheDir !== undefined ? ['cacheDir'] : [];
      if (isSbomReference(input.source)) return { paths: [{ field: 'source', path: sbomFileOf(input.source) }], trustedFields };
      const source = parseImageReference(input.source);
      // A registry reference names no server file; the worker's host policy guards what it reaches.
      if (source.kind === 'registry') return { paths: [], trustedFields };
      return { paths: [{ field: 'source', path: source.kind === 'docker-archive' ? source.file : source.dir }], trustedFields };
    },
    async run(input, ctx): Promise<ScanImageSummary> {
      let artifact: ArtifactResult;
      let packages: PackageResult[];
      let otherFindings: FindingResult[] = [];
      let secretFindings: FindingResult[] = [];
      const wantSecrets = input.scanners.includes('secret');
      let harbor: Awaited<ReturnType<typeof harborCredentialsForTask>> | undefined;
      if (isSbomReference(input.source)) {
        ctx.progress(0, `reading ${input.source}`);
        const sbom = await readSbom(sbomFileOf(input.source));
        if (sbom.skipped.length > 0) ctx.logger.warn({ skipped: sbom.skipped.slice(0, 20), count: sbom.skipped.length }, 'SBOM components without a usable purl were skipped');
        ({ artifact, packages } = sbom);
      } else {
        // A Harbor scan request's registry credential (sealed in the plugin's table, never in the input).
        harbor = input.harborScan ? await harborCredentialsForTask(ctx, input.harborScan, input.source) : undefined;
        // Otherwise, on a worker, what the platform knows for this pull (a running workload's pull secret), read now and never stored.
        const credentials = harbor?.credentials ?? platformCredentials(ctx, input.source);
        const result = await scanArtifact(input.source, {
          registry: credentials ? { ...registryClientOptions(ctx), credentials } : registryClientOptions(ctx),
          ...(input.platform ? { platform: parsePlatform(input.platform) } : {}),
          analyzers: [...builtinAnalyzers, ...ctx.extensions('scanner.analyzer')],
          signal: ctx.signal,
          logger: ctx.logger,
          onProgress: (fraction, message) => ctx.progress(fraction * 0.95, message),
          secrets: wantSecrets,
        });
        if (result.warnings.length > 0) ctx.logger.warn({ warnings: result.warnings }, 'scan skipped some files');
        ({ artifact, packages } = result);
        const isSecret = (f: FindingResult): boolean => isScannerFindingData(f.data) && f.data.findingType === 'secret';
        secretFindings = result.findings.filter(isSecret);
        otherFindings = result.findings.filter((f) => !isSecret(f));
      }
      await ctx.emit.artifact(artifact);
      await ctx.emit.packages(artifact.digest, packages);

      let vulnerabilityScan: VulnerabilityScanStatus = { status: 'not-requested' };
      let vulnerabilityCount = 0;
      if (input.scanners.includes('vuln')) {
        const vulnerabilities = await scanVulnerabilities(ctx, input, artifact, packages, deps);
        vulnerabilityScan = vulnerabilities.status;
        vulnerabilityCount = vulnerabilities.findings.length;
        if (vulnerabilityScan.status === 'checked') await ctx.emit.findings(vulnerabilities.findings, { producer: VULNERABILITY_PRODUCER, scope: artifact.digest });
        else ctx.logger.warn({ database: 'database' in vulnerabilityScan ? vulnerabilityScan.database : undefined }, 'vulnerabilities not checked: no advisory data');
      }
      // Secrets: a complete report per image too, so a rescan resolves a secret that is gone.
      let secretScan: SecretScanStatus = { status: 'not-requested' };
      if (wantSecrets && isSbomReference(input.source)) secretScan = { status: 'not-applicable', message: 'an SBOM lists packages, not files' };
      else if (wantSecrets) {
        secretScan = { status: 'checked' };
        await ctx.emit.findings(secretFindings, { producer: SECRET_PRODUCER, scope: artifact.digest });
      }
      const secretCount = secretFindings.length;
      // Findings of extension analyzers (other plugins): reported under the task's own scope.
      if (otherFindings.length > 0) await ctx.emit.findings(otherFindings);
      await harbor?.done();
      ctx.progress(1, `${packages.length} packages, ${vulnerabilityCount} vulnerabilities, ${secretCount} secrets`);
      return {
        digest: artifact.digest,
        os: artifact.os ? { family: artifact.os.family, version: artifact.os.version } : null,
        packageCount: packages.length,
        vulnerabilityScan,
        secretScan,
        vulnerabilityCount,
        secretCount,
      };
    },
  });
}

export const scanImageTask = createScanImageTask(defaultScanDependencies);

export const scannerPlugin = definePlugin({
  manifest: {
    id: 'bulkhead.scanner',
    version: SCANNER_PLUGIN_VERSION,
    kind: 'scanner',
    phases: ['build'],
    description: 'Image inventory (OS, OS and language packages per layer), vulnerabilities from OSV and distro advisories, secrets; SBOM, SARIF and VEX reports',
  },
  tasks: [scanImageTask, importAdvisoriesTask, updateAdvisoriesTask, rematchVulnerabilitiesTask],
});
