import type { Logger } from '@bulkhead/common';
import { decodeCursor, encodeCursor, FindingEntity, InvalidCursorError, isUuid, pageSize, storedFindingOf, tableName, upsertFindings } from '@bulkhead/persistence';
import { BadInputError, type FindingResult } from '@bulkhead/plugin-sdk';
import {
  compileFindingCountQuery,
  compileFindingPageQuery,
  FINDING_COLUMNS,
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

interface FindingRow {
  id: string;
  kind: StoredFinding['kind'];
  severity: StoredFinding['severity'];
  rule_id: string;
  title: string;
  target: string;
  location: string | null;
  data: Record<string, unknown>;
  fingerprint: string;
  task_id: string | null;
  first_seen_at: Date;
  last_seen_at: Date;
  status: StoredFinding['status'];
  resolved_at: Date | null;
  reopened_at: Date | null;
  sort_key?: string;
}

function toStored(row: FindingRow): StoredFinding {
  return {
    id: row.id,
    kind: row.kind,
    severity: row.severity,
    ruleId: row.rule_id,
    title: row.title,
    target: row.target,
    location: row.location,
    data: row.data,
    fingerprint: row.fingerprint,
    taskId: row.task_id,
    firstSeenAt: new Date(row.first_seen_at),
    lastSeenAt: new Date(row.last_seen_at),
    status: row.status,
    reopened: row.status === 'OPEN' && row.reopened_at !== null,
    resolvedAt: row.resolved_at === null ? null : new Date(row.resolved_at),
  };
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
    const statement = compileFindingPageQuery(this.table, filter, { limit: size + 1, order, ...(after ? { after } : {}) });
    const count = compileFindingCountQuery(this.table, filter, order);
    const [rows, counted] = await Promise.all([
      this.dataSource.query(statement.sql, statement.params) as Promise<FindingRow[]>,
      this.dataSource.query(count.sql, count.params) as Promise<{ n: number }[]>,
    ]);
    const items = rows.slice(0, size);
    const cursors = items.map((row) => encodeCursor([row.sort_key ?? '', row.id]));
    return { items: items.map(toStored), cursors, totalCount: counted[0]?.n ?? 0, hasNextPage: rows.length > size, endCursor: cursors.at(-1) ?? null };
  }

  async get(id: string): Promise<StoredFinding | null> {
    if (!isUuid(id)) return null;
    const rows: FindingRow[] = await this.dataSource.query(`SELECT ${FINDING_COLUMNS} FROM ${this.table} WHERE "id" = $1`, [id]);
    return rows[0] ? toStored(rows[0]) : null;
  }

  /**
   * Upserts on (target, fingerprint); a finding already stored only has lastSeenAt moved (what
   * the API records are reports from outside, e.g. a sensor re-sending an alert: the first
   * report is the fact). Returns and announces only the findings this call inserted.
   */
  async record(findings: readonly FindingResult[]): Promise<StoredFinding[]> {
    const stored = await upsertFindings(this.dataSource, findings, { onConflict: 'touch' });
    const fresh = stored.filter((f) => f.inserted).map(storedFindingOf);
    await this.events.publish(fresh).catch((error: unknown) => this.logger.warn({ err: (error as Error).message, findings: fresh.length }, 'could not publish new findings'));
    return fresh;
  }
}
