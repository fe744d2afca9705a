import type { Logger } from '@bulkhead/common';
import {
  decodeCursor,
  encodeCursor,
  FindingEntity,
  findingRowToStored,
  InvalidCursorError,
  isUuid,
  pageSize,
  storedFindingOf,
  tableName,
  upsertFindings,
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
  type FindingGroupRequest,
  type FindingFilter,
  type FindingKeyset,
  type FindingOrder,
  type HostFindings,
  type Page,
  type PageRequest,
  type StoredFinding,
} from '@bulkhead/plugin-sdk/api';
import type { DataSource } from 'typeorm';
import type { RedisFindingEvents } from './finding-events';

/** A page row: the finding's columns plus the value it is ordered by. */
interface FindingPageRow extends FindingRow {
  sort_key?: string;
}

/**
 * HostFindings over the `finding` table. Queries are compiled by the SDK's finding-sql (the one
 * place that turns a FindingFilter into SQL, shared with plugin index migrations); findings the
 * API records are announced on the findings channel.
 */
export class PostgresHostFindings implements HostFindings {
  private readonly table: string;

  constructor(
    private readonly dataSource: DataSource,
    private readonly events: RedisFindingEvents,
    private readonly logger: Logger,
    /** The request's team: every query, get and record is within it. */
    private readonly team: TeamAccessor,
  ) {
    this.table = tableName(dataSource, FindingEntity);
  }

  /** The schema-qualified findings table (for EXPLAIN in tests). */
  get tableName(): string {
    return this.table;
  }

  async query(filter: FindingFilter, page: PageRequest = {}, order: FindingOrder = {}): Promise<Page<StoredFinding>> {
    if (filter.taskId !== undefined && !isUuid(filter.taskId)) throw new BadInputError(`taskId ${JSON.stringify(filter.taskId)} is not a task id (UUID)`);
    const size = pageSize(page.first);
    let after: FindingKeyset | undefined;
    if (page.after) {
      const [value, id] = decodeCursor(page.after, 2) as [string, string];
      if (!isUuid(id) || (!order.dataPath && Number.isNaN(Date.parse(value)))) throw new InvalidCursorError(page.after);
      after = { value, id };
    }
    const statement = compileFindingPageQuery(this.table, filter, { limit: size + 1, order, team: this.team(), ...(after ? { after } : {}) });
    const count = compileFindingCountQuery(this.table, filter, order, this.team());
    const [rows, counted] = await Promise.all([
      this.dataSource.query(statement.sql, statement.params) as Promise<FindingPageRow[]>,
      this.dataSource.query(count.sql, count.params) as Promise<{ n: number }[]>,
    ]);
    const items = rows.slice(0, size);
    const cursors = items.map((row) => encodeCursor([row.sort_key ?? '', row.id]));
    return { items: items.map(findingRowToStored), cursors, totalCount: counted[0]?.n ?? 0, hasNextPage: rows.length > size, endCursor: cursors.at(-1) ?? null };
  }

  async groups(filter: FindingFilter, request: FindingGroupRequest): Promise<Page<FindingGroup>> {
    if (filter.taskId !== undefined && !isUuid(filter.taskId)) throw new BadInputError(`taskId ${JSON.stringify(filter.taskId)} is not a task id (UUID)`);
    const first = request.first ?? 500;
    if (!Number.isInteger(first) || first < 1 || first > MAX_FINDING_GROUPS_PAGE) throw new BadInputError(`first must be an integer between 1 and ${MAX_FINDING_GROUPS_PAGE} (got ${first})`);
    const after = request.after ? decodeCursor(request.after, request.groupBy.length) : undefined;
    const statement = compileFindingGroupQuery(this.table, filter, { groupBy: request.groupBy, limit: first + 1, team: this.team(), ...(after ? { after } : {}) });
    const count = compileFindingGroupCountQuery(this.table, filter, request.groupBy, this.team());
    const [rows, counted] = await Promise.all([
      this.dataSource.query(statement.sql, statement.params) as Promise<Record<string, string | number>[]>,
      this.dataSource.query(count.sql, count.params) as Promise<{ n: number }[]>,
    ]);
    const items = rows.slice(0, first).map((row): FindingGroup => ({ keys: request.groupBy.map((_, index) => String(row[`k${index}`])), count: Number(row['n']) }));
    const cursors = items.map((group) => encodeCursor(group.keys));
    return { items, cursors, totalCount: counted[0]?.n ?? 0, hasNextPage: rows.length > first, endCursor: cursors.at(-1) ?? null };
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
