import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { PackageResult, TaskLogger } from '@bulkhead/plugin-sdk';
import {
  HOST_ARTIFACTS,
  HOST_FINDINGS,
  HOST_LOGGER,
  HOST_REQUEST_CONTEXT,
  HOST_TASKS,
  PLUGIN_DATABASE,
  type HostArtifacts,
  type HostFindings,
  type HostRequestContext,
  type HostTask,
  type HostTasks,
  type PluginDatabase,
  type StoredFinding,
} from '@bulkhead/plugin-sdk/api';
import { isLoopbackHost, registryServerConfigFromEnv } from '@bulkhead/oci';
import type { Advisory, AdvisoryStore } from '@bulkhead/vulndb';
import type { ScanImageSummary } from '../plugin';
import { SCANNER_PLUGIN_VERSION } from '../plugin';
import { credentialBinding } from './credential-binding';
import { CREDENTIAL_KEY_SETTING, sealCredential } from './credential-key';
import { registryEnv, type HarborApiConfig } from './config';
import {
  CONSUMED_MIME_TYPES,
  ERROR,
  METADATA,
  PRODUCED_MIME_TYPES,
  SBOM_MEDIA_TYPES,
  SBOM_REPORT,
  SCAN_RESPONSE,
  VULN_REPORT,
  VULNERABILITY_REPORT_TYPES,
  negotiate,
  type SbomMediaType,
} from './media-types';
import { parseScanRequest, scanTarget } from './scan-request';
import { deleteScan, dropCredential, getScan, insertScan, setScanTask, sweepScans, type HarborScanRow } from './scan-store';
import { harborSbomReport } from './sbom-report';
import { harborVulnerabilityReport, type HarborArtifact, type HarborScanner } from './vulnerability-report';
import { HARBOR_ADVISORY_STORE, HARBOR_CONFIG } from './tokens';

/** One answer of the adapter: status, the exact Content-Type, extra headers and a JSON body. */
export interface HarborResponse {
  status: number;
  contentType?: string;
  headers?: Record<string, string>;
  body?: unknown;
}

export const SCANNER: HarborScanner = { name: 'Bulkhead', vendor: 'Bulkhead', version: SCANNER_PLUGIN_VERSION };

/** A ScanRequest is a few hundred bytes; this bounds what is read before it is refused. */
export const MAX_SCAN_REQUEST_BYTES = 64 * 1024;
/** How long a registry credential is kept for a scan that has not ended (Harbor's robot tokens live about as long). */
export const CREDENTIAL_TTL_MS = 2 * 60 * 60 * 1000;
/** Rows of finished scans are kept this long for Harbor to fetch their reports again. */
const KEEP_SCANS_DAYS = 7;
/** Harbor polls a pending report after this many seconds (its own default when the header is absent). */
export const REFRESH_AFTER_SECONDS = 5;
/** Bounds on what one report reads (findings, packages): far above any real image. */
const MAX_REPORT_FINDINGS = 50_000;
const MAX_SBOM_PACKAGES = 200_000;
const PAGE = 500;
/** Advisory records read at once while a report is built. */
const ADVISORY_LOOKUPS_AT_ONCE = 8;
/** The advisory database's status is read at most this often for /metadata (Harbor calls it on every health check). */
const STATUS_CACHE_MS = 30_000;

function errorResponse(status: number, message: string): HarborResponse {
  return { status, contentType: ERROR, body: { error: { message } } };
}

function isPending(task: HostTask): boolean {
  return task.status === 'QUEUED' || task.status === 'RUNNING';
}

/**
 * The adapter's behaviour, apart from HTTP: scan requests become `scan-image` tasks of a
 * `registry:` target on the request's team (the token Harbor authenticates with), and reports
 * are built from what the scan stored.
 */
@Injectable()
export class HarborAdapterService {
  private statusCache: { at: number; properties: Record<string, string> } | undefined;

  constructor(
    @Inject(HOST_TASKS) private readonly tasks: HostTasks,
    @Inject(HOST_ARTIFACTS) private readonly artifacts: HostArtifacts,
    @Inject(HOST_FINDINGS) private readonly findings: HostFindings,
    @Inject(PLUGIN_DATABASE) private readonly db: PluginDatabase,
    @Inject(HOST_REQUEST_CONTEXT) private readonly context: HostRequestContext,
    @Inject(HOST_LOGGER) private readonly logger: TaskLogger,
    @Inject(HARBOR_ADVISORY_STORE) private readonly advisories: Pick<AdvisoryStore, 'advisory' | 'status'>,
    @Inject(HARBOR_CONFIG) private readonly config: HarborApiConfig,
  ) {}

  async metadata(): Promise<HarborResponse> {
    return {
      status: 200,
      contentType: METADATA,
      body: {
        scanner: SCANNER,
        capabilities: [
          { type: 'vulnerability', consumes_mime_types: [...CONSUMED_MIME_TYPES], produces_mime_types: [...VULNERABILITY_REPORT_TYPES] },
          { type: 'sbom', consumes_mime_types: [...CONSUMED_MIME_TYPES], produces_mime_types: [SBOM_REPORT], additional_attributes: { sbom_media_types: [...SBOM_MEDIA_TYPES] } },
        ],
        properties: await this.properties(),
      },
    };
  }

  private async properties(): Promise<Record<string, string>> {
    if (this.statusCache && Date.now() - this.statusCache.at < STATUS_CACHE_MS) return this.statusCache.properties;
    const status = await this.advisories.status();
    const updatedAt = status.sources.map((s) => s.updatedAt).sort().at(-1);
    const properties: Record<string, string> = {
      'harbor.scanner-adapter/scanner-type': 'os-package-vulnerability',
      ...(updatedAt ? { 'harbor.scanner-adapter/vulnerability-database-updated-at': updatedAt } : {}),
      'bulkhead.io/advisories': String(status.advisories),
    };
    this.statusCache = { at: Date.now(), properties };
    return properties;
  }

  /** POST /scan with the body already read (at most MAX_SCAN_REQUEST_BYTES). */
  async submit(body: Buffer): Promise<HarborResponse> {
    const parsed = parseScanRequest(body);
    if ('problem' in parsed) return errorResponse(parsed.problem.status, parsed.problem.message);
    const request = parsed.request;
    const refused = await this.registryRefusal(request.registry.url);
    if (refused) return errorResponse(422, refused);
    if (request.registry.authorization && !this.config[CREDENTIAL_KEY_SETTING]) {
      return errorResponse(500, `this Bulkhead server cannot keep registry credentials: set ${CREDENTIAL_KEY_SETTING} (the same on the API and the workers) to scan with them`);
    }

    const team = this.context.requestTeam();
    const id = randomUUID();
    await sweepScans(this.db, KEEP_SCANS_DAYS);
    const key = this.config[CREDENTIAL_KEY_SETTING];
    const credential =
      request.registry.authorization && key ? { sealed: sealCredential(key, request.registry.authorization, credentialBinding(team, id)), expiresAt: new Date(Date.now() + CREDENTIAL_TTL_MS) } : undefined;
    await insertScan(
      this.db,
      {
        team,
        id,
        registryUrl: request.registry.url.origin,
        repository: request.artifact.repository,
        digest: request.artifact.digest,
        tag: request.artifact.tag ?? null,
        mimeType: request.artifact.mimeType,
        capabilities: request.capabilities,
        sbomMediaTypes: request.sbomMediaTypes,
      },
      credential,
    );
    let task: HostTask;
    try {
      // The task names the scan, never the credential: the worker opens it from the row (worker-credentials.ts).
      task = await this.tasks.submit({ kind: 'scanner', type: 'scan-image', input: { source: scanTarget(request), scanners: ['vuln'], harborScan: id } });
    } catch (error) {
      await deleteScan(this.db, team, id);
      throw error;
    }
    await setScanTask(this.db, team, id, task.id);
    this.logger.info({ harborScan: id, task: task.id, registry: request.registry.url.host, repository: request.artifact.repository, digest: request.artifact.digest }, 'Harbor scan request queued');
    return { status: 202, contentType: SCAN_RESPONSE, body: { id } };
  }

  /** The registry stream's server-mode rules (BULKHEAD_REGISTRY_*), checked before anything is stored. */
  private async registryRefusal(url: URL): Promise<string | undefined> {
    let policy: ReturnType<typeof registryServerConfigFromEnv>;
    try {
      policy = registryServerConfigFromEnv(registryEnv(this.config));
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    }
    try {
      await policy.hostPolicy.check(url);
    } catch (error) {
      return `registry.url: ${error instanceof Error ? error.message : String(error)}`;
    }
    const host = url.hostname;
    if (url.protocol === 'http:' && !isLoopbackHost(host) && !policy.insecureHosts.some((h) => h === host || h === url.host)) {
      return `registry.url: plain HTTP to ${url.host} is refused (list the host in BULKHEAD_REGISTRY_INSECURE_HOSTS to allow it)`;
    }
    return undefined;
  }

  /** GET /scan/{id}/report. */
  async report(id: string, accept: string | string[] | undefined, sbomMediaType: unknown): Promise<HarborResponse> {
    const team = this.context.requestTeam();
    const scan = await getScan(this.db, team, id);
    if (!scan?.taskId) return { status: 404 };
    const mediaType = negotiate(accept, PRODUCED_MIME_TYPES, VULN_REPORT);
    if (!mediaType) return errorResponse(501, `cannot produce ${JSON.stringify(String(accept).slice(0, 200))}: this scanner produces ${PRODUCED_MIME_TYPES.join(', ')}`);
    let sbomFormat: SbomMediaType | undefined;
    if (mediaType === SBOM_REPORT) {
      if (typeof sbomMediaType !== 'string' || sbomMediaType === '') return errorResponse(400, `an SBOM report needs the query parameter sbom_media_type (${SBOM_MEDIA_TYPES.join(' or ')})`);
      if (!(SBOM_MEDIA_TYPES as readonly string[]).includes(sbomMediaType)) return errorResponse(400, `sbom_media_type ${JSON.stringify(sbomMediaType.slice(0, 200))} is not ${SBOM_MEDIA_TYPES.join(' or ')}`);
      sbomFormat = sbomMediaType as SbomMediaType;
    }
    const task = await this.tasks.get(scan.taskId);
    if (!task) return errorResponse(500, `the scan's task ${scan.taskId} no longer exists`);
    if (isPending(task)) return { status: 302, headers: { 'Refresh-After': String(REFRESH_AFTER_SECONDS) } };
    // The scan ended: its registry credential is of no further use.
    await dropCredential(this.db, team, id);
    if (task.status !== 'SUCCEEDED') return errorResponse(500, `the scan ${task.status === 'CANCELLED' ? 'was cancelled' : 'failed'}: ${task.error ?? 'no reason recorded'}`);
    const summary = task.result as ScanImageSummary | null;
    if (!summary?.digest) return errorResponse(500, 'the scan finished without a result');
    const artifact = harborArtifact(scan);
    if (sbomFormat) return this.sbomReport(summary, artifact, sbomFormat);
    if (summary.vulnerabilityScan.status !== 'checked') {
      const reason = summary.vulnerabilityScan.status === 'no-advisory-data' ? summary.vulnerabilityScan.message : 'vulnerabilities were not requested';
      return errorResponse(500, `vulnerabilities were not checked: ${reason}`);
    }
    const findings = await this.vulnerabilityFindings(summary.digest);
    const report = harborVulnerabilityReport({ findings, advisories: await this.advisoryRecords(findings), artifact, scanner: SCANNER, generatedAt: task.finishedAt ?? new Date() });
    return { status: 200, contentType: mediaType, body: report };
  }

  private async sbomReport(summary: ScanImageSummary, artifact: HarborArtifact, format: SbomMediaType): Promise<HarborResponse> {
    const image = await this.artifacts.get(summary.digest);
    if (!image) return errorResponse(500, `the scanned image ${summary.digest} is no longer stored`);
    const packages: PackageResult[] = [];
    let after: string | null = null;
    do {
      const page = await this.artifacts.packages(summary.digest, { first: PAGE, after });
      if (!page) return errorResponse(500, `the scanned image ${summary.digest} is no longer stored`);
      packages.push(...page.items);
      if (packages.length > MAX_SBOM_PACKAGES) return errorResponse(500, `the image holds more than ${MAX_SBOM_PACKAGES} packages: too many for one SBOM report`);
      after = page.hasNextPage ? page.endCursor : null;
    } while (after);
    const findings = summary.vulnerabilityScan.status === 'checked' ? await this.vulnerabilityFindings(summary.digest) : [];
    const body = harborSbomReport({ mediaType: format, image, packages, findings, vulnerabilityScan: summary.vulnerabilityScan, artifact, scanner: SCANNER, generatedAt: new Date() });
    return { status: 200, contentType: SBOM_REPORT, body };
  }

  /** The image's open vulnerability findings (the current state: a later scan or re-match updates them). */
  private async vulnerabilityFindings(digest: string): Promise<StoredFinding[]> {
    const found: StoredFinding[] = [];
    let after: string | null = null;
    do {
      const page = await this.findings.query(
        { kinds: ['scanner'], targets: [digest], statuses: ['OPEN'], data: [{ path: ['findingType'], equals: 'vulnerability' }] },
        { first: PAGE, after },
      );
      found.push(...page.items);
      if (found.length > MAX_REPORT_FINDINGS) throw new Error(`image ${digest} has more than ${MAX_REPORT_FINDINGS} open vulnerabilities: too many for one report`);
      after = page.hasNextPage ? page.endCursor : null;
    } while (after);
    return found;
  }

  /** The advisory records of each rule id, a few lookups at a time. */
  private async advisoryRecords(findings: readonly StoredFinding[]): Promise<Map<string, Advisory[]>> {
    const ids = [...new Set(findings.map((f) => f.ruleId))];
    const records = new Map<string, Advisory[]>();
    for (let i = 0; i < ids.length; i += ADVISORY_LOOKUPS_AT_ONCE) {
      const batch = ids.slice(i, i + ADVISORY_LOOKUPS_AT_ONCE);
      const found = await Promise.all(batch.map((id) => this.advisories.advisory(id)));
      batch.forEach((id, n) => records.set(id, found[n] ?? []));
    }
    return records;
  }
}

function harborArtifact(scan: HarborScanRow): HarborArtifact {
  return { repository: scan.repository, digest: scan.digest, ...(scan.tag ? { tag: scan.tag } : {}), mime_type: scan.mimeType };
}

/** Reads a request body of at most `limit` bytes; more (declared or sent) is refused without reading it all. */
export async function readBoundedBody(request: IncomingMessage, limit: number): Promise<Buffer | { tooLarge: true }> {
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return { tooLarge: true };
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
    size += buffer.length;
    if (size > limit) return { tooLarge: true };
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}
