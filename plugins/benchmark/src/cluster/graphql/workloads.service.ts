import { Inject, Injectable, Optional } from '@nestjs/common';
import { BadInputError, SEVERITIES, type PluginKind, type PluginServices, type Severity } from '@bulkhead/plugin-sdk';
import {
  HOST_FINDINGS,
  HOST_REQUEST_CONTEXT,
  HOST_SERVICES,
  PLUGIN_DATABASE,
  type FindingDataCondition,
  type FindingFilter,
  type HostFindings,
  type HostRequestContext,
  type Page,
  type PluginDatabase,
} from '@bulkhead/plugin-sdk/api';
import { candidateDigestsQuery, decodeCursor, encodeCursor, workloadCountQuery, workloadPageQuery, type WorkloadConditions, type WorkloadRow } from './workload-query';
import type { WorkloadFilter } from './workload.model';

/*
 * Answers the correlated workloads query in a fixed number of statements, whatever the page:
 * (1) the image ids with the asked vulnerabilities, from the host's findings grouped by target
 * (one statement per 10,000 images); (2) for `signed`, the candidate running digests (one
 * statement) and their verdicts from the signer's service (one call per 1,000 digests);
 * (3) for `hasFindingKind`, the targets with open findings of that kind; (4) the page and its
 * count over the plugin's tables. The per-workload fields (images) are batched by the resolver.
 */

/** Page size bounds (the host's convention: 1..500, default 50). */
const DEFAULT_PAGE = 50;
const MAX_PAGE = 500;
/** Groups per HostFindings.groups page. */
const GROUPS_PAGE = 10_000;
/** Digests per imageSignatures.forDigests call (the service's bound). */
const SIGNATURE_BATCH = 1000;
/** Longest text filter accepted (a guard against absurd input). */
const MAX_TEXT = 253;

/** The scanner's vulnerability findings (kind scanner, data.findingType vulnerability; its `status` is `fixed` exactly when a fix exists). */
const VULNERABILITY: FindingDataCondition = { path: ['findingType'], equals: 'vulnerability' };
const FIXED: FindingDataCondition = { path: ['status'], equals: 'fixed' };
const NOT_FIXED: FindingDataCondition = { path: ['status'], oneOf: ['affected', 'will_not_fix', 'fix_deferred', 'end_of_life'] };

function text(field: string, value: string | null | undefined): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (value.length === 0 || value.length > MAX_TEXT || value.includes('\u0000')) throw new BadInputError(`filter.${field}: give a value of 1 to ${MAX_TEXT} characters without NUL`);
  return value;
}

/** The severities at or above `min` (SEVERITIES runs from CRITICAL down to UNKNOWN). */
export function severitiesFrom(min: Severity): Severity[] {
  return SEVERITIES.slice(0, SEVERITIES.indexOf(min) + 1);
}

export type WorkloadPage = Page<WorkloadRow>;

@Injectable()
export class WorkloadsService {
  constructor(
    @Inject(PLUGIN_DATABASE) private readonly db: PluginDatabase,
    @Inject(HOST_REQUEST_CONTEXT) private readonly context: HostRequestContext,
    @Inject(HOST_FINDINGS) private readonly findings: HostFindings,
    @Optional() @Inject(HOST_SERVICES) private readonly services?: PluginServices,
  ) {}

  get signaturesKnown(): boolean {
    return this.services?.imageSignatures !== undefined;
  }

  async list(filter: WorkloadFilter | null | undefined, first?: number | null, after?: string | null): Promise<WorkloadPage> {
    const size = first ?? DEFAULT_PAGE;
    if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE) throw new BadInputError(`first: give 1 to ${MAX_PAGE}`);
    const cursor = after ? decodeCursor(after) : undefined;
    const conditions = await this.conditions(filter ?? {});
    const page = workloadPageQuery(conditions, size, cursor);
    const count = workloadCountQuery(conditions);
    const [rows, counted] = await Promise.all([this.db.query<WorkloadRow>(page.sql, page.parameters), this.db.query<{ count: number }>(count.sql, count.parameters)]);
    const items = rows.slice(0, size);
    const cursors = items.map(encodeCursor);
    return { items, cursors, totalCount: counted[0]?.count ?? 0, hasNextPage: rows.length > size, endCursor: cursors.at(-1) ?? null };
  }

  /** The filter resolved to conditions on the plugin's tables. */
  private async conditions(filter: WorkloadFilter): Promise<WorkloadConditions> {
    const team = this.context.requestTeam();
    const cluster = text('cluster', filter.cluster);
    const namespace = text('namespace', filter.namespace);
    const conditions: WorkloadConditions = {
      team,
      includeOwned: filter.includeOwned === true,
      ...(cluster !== undefined ? { cluster } : {}),
      ...(namespace !== undefined ? { namespace } : {}),
      ...(filter.podSecurityLevel ? { podSecurityLevel: filter.podSecurityLevel } : {}),
    };
    const vulnerability = text('vulnerability', filter.vulnerability);
    if (vulnerability !== undefined || filter.minSeverity || (filter.fixAvailable !== null && filter.fixAvailable !== undefined)) {
      const data = [VULNERABILITY];
      if (filter.fixAvailable === true) data.push(FIXED);
      if (filter.fixAvailable === false) data.push(NOT_FIXED);
      conditions.imageIds = await this.targets({
        kinds: ['scanner'],
        statuses: ['OPEN'],
        data,
        ...(vulnerability !== undefined ? { ruleIds: [vulnerability] } : {}),
        ...(filter.minSeverity ? { severities: severitiesFrom(filter.minSeverity) } : {}),
      });
    }
    if (filter.signed !== null && filter.signed !== undefined) {
      conditions.signature = { signed: filter.signed, digests: await this.signedDigests(conditions) };
    }
    if (filter.hasFindingKind) conditions.findingTargets = await this.targets({ kinds: [filter.hasFindingKind as PluginKind], statuses: ['OPEN'] });
    return conditions;
  }

  /** Every target (of the request's team) with a finding matching `filter`, paged through the host's grouped counts. */
  private async targets(filter: FindingFilter): Promise<string[]> {
    const targets: string[] = [];
    let after: string | null = null;
    for (;;) {
      const page = await this.findings.groups(filter, { groupBy: ['target'], first: GROUPS_PAGE, after });
      for (const group of page.items) if (group.keys[0]) targets.push(group.keys[0]);
      if (!page.hasNextPage || !page.endCursor) return targets;
      after = page.endCursor;
    }
  }

  /** The candidate running digests that carry a valid signature (the signer's latest verdicts). */
  private async signedDigests(conditions: WorkloadConditions): Promise<string[]> {
    const signatures = this.services?.imageSignatures;
    if (!signatures) throw new BadInputError('filter.signed: no loaded plugin provides image signatures (the signer plugin), so signatures are unknown here');
    const query = candidateDigestsQuery(conditions);
    const digests = (await this.db.query<{ digest: string }>(query.sql, query.parameters)).map((row) => row.digest);
    const signed = new Set<string>();
    for (let start = 0; start < digests.length; start += SIGNATURE_BATCH) {
      const verdicts = await signatures.forDigests(digests.slice(start, start + SIGNATURE_BATCH));
      for (const verdict of verdicts) if (verdict.valid) signed.add(verdict.manifestDigest);
    }
    return [...signed];
  }

  /** Whether each digest has a valid signature (null: no provider), for a page's images in one call per 1,000. */
  async signedByDigest(digests: readonly string[]): Promise<Map<string, boolean> | null> {
    const signatures = this.services?.imageSignatures;
    if (!signatures) return null;
    const result = new Map<string, boolean>(digests.map((digest) => [digest, false]));
    for (let start = 0; start < digests.length; start += SIGNATURE_BATCH) {
      for (const verdict of await signatures.forDigests(digests.slice(start, start + SIGNATURE_BATCH))) if (verdict.valid) result.set(verdict.manifestDigest, true);
    }
    return result;
  }
}
