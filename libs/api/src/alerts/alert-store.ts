import {
  decodeCursor,
  encodeCursor,
  FindingEntity,
  InvalidCursorError,
  isUuid,
  pageSize,
  tableName as qualifiedTableName,
  toConnection,
  type Connection,
  type PageRequest,
} from '@bulkhead/persistence';
import type { Severity } from '@bulkhead/plugin-sdk';
import type { FalcoAlert } from '@bulkhead/plugin-runtime';
import type { DataSource } from 'typeorm';
import type { AlertCriteria } from './alert-filter';
import { alertCountQuery, alertPageQuery } from './alert-query';

/** A stored runtime alert: the finding row's identity and times with the Falco-shaped alert. */
export interface StoredAlert {
  id: string;
  severity: Severity;
  target: string;
  alert: FalcoAlert;
  firstSeenAt: Date;
  lastSeenAt: Date;
}

interface AlertRow {
  id: string;
  severity: Severity;
  target: string;
  data: FalcoAlert;
  first_seen_at: Date;
  last_seen_at: Date;
}

function toStored(row: AlertRow): StoredAlert {
  return { id: row.id, severity: row.severity, target: row.target, alert: row.data, firstSeenAt: new Date(row.first_seen_at), lastSeenAt: new Date(row.last_seen_at) };
}

/**
 * Runtime alerts as findings (kind 'runtime', data = the Falco alert). Writes are batched
 * upserts on the findings' identity (target, fingerprint): a re-sent alert moves lastSeenAt and
 * adds no row, and the caller learns which alerts were new (to publish only those).
 */
export class AlertStore {
  private readonly table: string;

  constructor(private readonly dataSource: DataSource) {
    this.table = qualifiedTableName(dataSource, FindingEntity);
  }

  /** The schema-qualified findings table (for EXPLAIN in tests). */
  get tableName(): string {
    return this.table;
  }

  /** Newest alert time first, keyset-paginated on (time, id). */
  async list(criteria: AlertCriteria, page: PageRequest = {}): Promise<Connection<StoredAlert>> {
    const size = pageSize(page.first);
    let after: { time: string; id: string } | undefined;
    if (page.after) {
      const [time, id] = decodeCursor(page.after, 2) as [string, string];
      if (!isUuid(id)) throw new InvalidCursorError(page.after);
      after = { time, id };
    }
    const query = alertPageQuery(this.table, criteria, size + 1, after);
    const rows: AlertRow[] = await this.dataSource.query(query.sql, query.params);
    return toConnection(rows.map(toStored), size, (a) => encodeCursor([a.alert.time, a.id]));
  }

  async count(criteria: AlertCriteria): Promise<number> {
    const query = alertCountQuery(this.table, criteria);
    const rows: { n: number }[] = await this.dataSource.query(query.sql, query.params);
    return rows[0]?.n ?? 0;
  }
}
