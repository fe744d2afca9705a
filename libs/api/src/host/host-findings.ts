import type { Logger } from '@bulkhead/common';
import {
  decodeCursor,
  encodeCursor,
  FindingCounts,
  FindingEntity,
  findingRowToStored,
  isCountable,
  InvalidCursorError,
  isUuid,
  pageSize,
  storedFindingOf,
  tableName,
  upsertFindings,
  type CountedFindingKey,
  type FindingRow,
  type TeamAccessor,
} from '@bulkhead/persistence';
import { BadInputError, type FindingResult } from '@bulkhead/plugin-sdk';
import {
  compileFindingCountQuery,
  compileFindingGroupCountQuery,
  compileFindingGroupQuery,
  compileFindingPageQuery,
  FINDING_COLUMNS,
  MAX_FINDING_GROUPS_PAGE,
  type FindingGroup,
  type FindingGroupKey,
  type FindingGroupRequest,
  type FindingFilter,
  type FindingKeyset,
  type FindingOrder,
  type HostFindings,
  type Page,
  type PageRequest,
  type PageWithoutTotal,
  type PartialStoredFinding,
  type StoredFinding,
  type StoredFindingField,
} from '@bulkhead/plugin-sdk/api';
import type { DataSource } from 'typeorm';
import type { RedisFindingEvents } from './finding-events';

/** A page row: the finding's columns plus the value it is ordered by. */
interface FindingPageRow extends FindingRow {
  sort_key?: string;
}

function checkTaskId(filter: FindingFilter): void {
  if (filter.taskId !== undefined && !isUuid(filter.taskId)) throw new BadInputError(`taskId ${JSON.stringify(filter.taskId)} is not a task id (UUID)`);
}

/** Group keys the counters keep (isCountable said so): the SDK's names are the counters' columns. */
function countedKeys(groupBy: readonly FindingGroupKey[]): CountedFindingKey[] {
  return groupBy as CountedFindingKey[];
}

/** A row of some columns only (compileFindingPageQuery with fields): the fields it holds. */
function partialFinding(row: Partial<FindingRow> & { id: string }): PartialStoredFinding {
  const date = (value: Date | null | undefined) => (value === undefined ? undefined : value === null ? null : new Date(value));
  const finding: Partial<StoredFinding> & { id: string } = { id: row.id };
  if (row.kind !== undefined) finding.kind = row.kind;
  if (row.severity !== undefined) finding.severity = row.severity;
  if (row.rule_id !== undefined) finding.ruleId = row.rule_id;
  if (row.title !== undefined) finding.title = row.title;
  if (row.target !== undefined) finding.target = row.target;
  if (row.location !== undefined) finding.location = row.location;
  if (row.data !== undefined) finding.data = row.data;
  if (row.fingerprint !== undefined) finding.fingerprint = row.fingerprint;
  if (row.task_id !== undefined) finding.taskId = row.task_id;
  if (row.first_seen_at !== undefined) finding.firstSeenAt = new Date(row.first_seen_at);
  if (row.last_seen_at !== undefined) finding.lastSeenAt = new Date(row.last_seen_at);
  if (row.status !== undefined) finding.status = row.status;
  if (row.resolved_at !== undefined) finding.resolvedAt = date(row.resolved_at) ?? null;
  if (row.reopened_at !== undefined) {
    finding.reopenedAt = date(row.reopened_at) ?? null;
    if (row.status !== undefined) finding.reopened = row.status === 'OPEN' && row.reopened_at !== null;
  }
  return finding;
}

/**
 * HostFindings over the `finding` table. Queries are compiled by the SDK's finding-sql (the one
 * place that turns a FindingFilter into SQL, shared with plugin index migrations); findings the
 * API records are announced on the findings channel.
 */
export class PostgresHostFindings implements HostFindings {
  private readonly table: string;
  private readonly counts: FindingCounts;

  constructor(
    private readonly dataSource: DataSource,
    private readonly events: RedisFindingEvents,
    private readonly logger: Logger,
    /** The request's team: every query, get and record is within it. */
    private readonly team: TeamAccessor,
  ) {
    this.table = tableName(dataSource, FindingEntity);
    this.counts = new FindingCounts(dataSource);
  }

  /** The schema-qualified findings table (for EXPLAIN in tests). */
  get tableName(): string {
    return this.table;
  }

  async query(filter: FindingFilter, page: PageRequest = {}, order: FindingOrder = {}): Promise<Page<StoredFinding>> {
    const [listed, totalCount] = await Promise.all([this.list(filter, page, order), this.count(filter, order)]);
    return { ...(listed as PageWithoutTotal<StoredFinding>), totalCount };
  }

  async list(filter: FindingFilter, page: PageRequest = {}, order: FindingOrder = {}, fields?: readonly StoredFindingField[]): Promise<PageWithoutTotal<PartialStoredFinding>> {
    checkTaskId(filter);
    const size = pageSize(page.first);
    let after: FindingKeyset | undefined;
    if (page.after) {
      const [value, id] = decodeCursor(page.after, 2) as [string, string];
      if (!isUuid(id) || (!order.dataPath && Number.isNaN(Date.parse(value)))) throw new InvalidCursorError(page.after);
      after = { value, id };
    }
    const statement = compileFindingPageQuery(this.table, filter, { limit: size + 1, order, team: this.team(), ...(after ? { after } : {}), ...(fields ? { fields } : {}) });
    const rows = (await this.dataSource.query(statement.sql, statement.params)) as FindingPageRow[];
    const items = rows.slice(0, size);
    const cursors = items.map((row) => encodeCursor([row.sort_key ?? '', row.id]));
    return { items: items.map((row) => (fields ? partialFinding(row) : findingRowToStored(row))), cursors, hasNextPage: rows.length > size, endCursor: cursors.at(-1) ?? null };
  }

  async count(filter: FindingFilter, order: FindingOrder = {}): Promise<number> {
    checkTaskId(filter);
    if (!order.dataPath && isCountable({ ...filter })) return this.counts.total(this.team(), filter);
    const count = compileFindingCountQuery(this.table, filter, order, this.team());
    const rows = (await this.dataSource.query(count.sql, count.params)) as { n: number }[];
    return rows[0]?.n ?? 0;
  }

  async groups(filter: FindingFilter, request: FindingGroupRequest): Promise<Page<FindingGroup>> {
    const [page, totalCount] = await Promise.all([this.groupPage(filter, request), this.groupCount(filter, request.groupBy)]);
    return { ...page, totalCount };
  }

  async groupPage(filter: FindingFilter, request: FindingGroupRequest): Promise<PageWithoutTotal<FindingGroup>> {
    checkTaskId(filter);
    const first = request.first ?? 500;
    if (!Number.isInteger(first) || first < 1 || first > MAX_FINDING_GROUPS_PAGE) throw new BadInputError(`first must be an integer between 1 and ${MAX_FINDING_GROUPS_PAGE} (got ${first})`);
    const after = request.after ? decodeCursor(request.after, request.groupBy.length) : undefined;
    let items: FindingGroup[];
    if (isCountable({ ...filter }, request.groupBy)) {
      items = await this.counts.groups(this.team(), filter, countedKeys(request.groupBy), { limit: first + 1, ...(after ? { after } : {}) });
    } else {
      const statement = compileFindingGroupQuery(this.table, filter, { groupBy: request.groupBy, limit: first + 1, team: this.team(), ...(after ? { after } : {}) });
      const rows = (await this.dataSource.query(statement.sql, statement.params)) as Record<string, string | number>[];
      items = rows.map((row): FindingGroup => ({ keys: request.groupBy.map((_, index) => String(row[`k${index}`])), count: Number(row['n']) }));
    }
    const page = items.slice(0, first);
    const cursors = page.map((group) => encodeCursor(group.keys));
    return { items: page, cursors, hasNextPage: items.length > first, endCursor: cursors.at(-1) ?? null };
  }

  async groupCount(filter: FindingFilter, groupBy: readonly FindingGroupKey[]): Promise<number> {
    checkTaskId(filter);
    if (isCountable({ ...filter }, groupBy)) return this.counts.groupCount(this.team(), filter, countedKeys(groupBy));
    const count = compileFindingGroupCountQuery(this.table, filter, groupBy, this.team());
    const rows = (await this.dataSource.query(count.sql, count.params)) as { n: number }[];
    return rows[0]?.n ?? 0;
  }

  async get(id: string): Promise<StoredFinding | null> {
    if (!isUuid(id)) return null;
    const rows: FindingRow[] = await this.dataSource.query(`SELECT ${FINDING_COLUMNS} FROM ${this.table} WHERE "id" = $1 AND "team" = $2`, [id, this.team()]);
    return rows[0] ? findingRowToStored(rows[0]) : null;
  }

  /**
   * Upserts on (team, target, fingerprint) under the request's team; a finding already stored only has lastSeenAt moved (what
   * the API records are reports from outside, e.g. a sensor re-sending an alert: the first
   * report is the fact). Returns and announces only the findings this call inserted.
   */
  async record(findings: readonly FindingResult[]): Promise<StoredFinding[]> {
    const team = this.team();
    const stored = await upsertFindings(this.dataSource, findings, { onConflict: 'touch', team });
    const fresh = stored.filter((f) => f.inserted).map(storedFindingOf);
    await this.events.publish(team, fresh).catch((error: unknown) => this.logger.warn({ err: (error as Error).message, findings: fresh.length }, 'could not publish new findings'));
    return fresh;
  }
}
