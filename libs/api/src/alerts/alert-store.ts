import { decodeCursor, encodeCursor, FindingEntity, InvalidCursorError, isUuid, pageSize, toConnection, type Connection, type PageRequest } from '@bulkhead/persistence';
import type { FindingResult, Severity } from '@bulkhead/plugin-sdk';
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

/** Rows per INSERT: one jsonb parameter per statement, so this bounds statement size, not bind parameters. */
const BATCH_ROWS = 500;

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
    const meta = dataSource.getMetadata(FindingEntity);
    const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;
    this.table = meta.schema ? `${quote(meta.schema)}.${quote(meta.tableName)}` : quote(meta.tableName);
  }

  /** The schema-qualified findings table (for EXPLAIN in tests). */
  get tableName(): string {
    return this.table;
  }

  /**
   * Upserts runtime findings (from alertToFinding) and returns the newly inserted ones, in input
   * order. Duplicates within the call are written once.
   */
  async record(findings: readonly FindingResult[]): Promise<StoredAlert[]> {
    const unique = new Map<string, FindingResult>();
    for (const f of findings) {
      if (!f.fingerprint) throw new Error(`runtime finding for rule ${f.ruleId} has no fingerprint`);
      const key = `${f.target}\u0000${f.fingerprint}`;
      if (!unique.has(key)) unique.set(key, f);
    }
    const rows = [...unique.values()];
    const inserted: StoredAlert[] = [];
    for (let i = 0; i < rows.length; i += BATCH_ROWS) {
      const batch = rows.slice(i, i + BATCH_ROWS).map((f) => ({
        kind: f.kind,
        severity: f.severity,
        rule_id: f.ruleId,
        title: f.title,
        target: f.target,
        location: f.location ?? null,
        data: f.data ?? {},
        fingerprint: f.fingerprint,
      }));
      // xmax = 0 only on rows this statement inserted (an updated row carries the updating xid).
      const result: (AlertRow & { inserted: boolean })[] = await this.dataSource.query(
        `INSERT INTO ${this.table} AS f (kind, severity, rule_id, title, target, location, data, fingerprint)
         SELECT r.kind, r.severity, r.rule_id, r.title, r.target, r.location, r.data, r.fingerprint
           FROM jsonb_to_recordset($1::jsonb) AS r(kind text, severity text, rule_id text, title text, target text, location text, data jsonb, fingerprint text)
         ON CONFLICT (target, fingerprint) DO UPDATE SET last_seen_at = now()
         RETURNING f.id, f.severity, f.target, f.data, f.first_seen_at, f.last_seen_at, (f.xmax = 0) AS inserted`,
        [JSON.stringify(batch)],
      );
      for (const row of result) if (row.inserted) inserted.push(toStored(row));
    }
    return inserted;
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
