import { findingFingerprint, type FindingResult, type PluginKind, type Severity } from '@bulkhead/plugin-sdk';
import type { StoredFinding } from '@bulkhead/plugin-sdk/api';
import type { DataSource, EntityManager } from 'typeorm';
import { FindingEntity, FindingStatus, TaskEntity } from './entities';
import { findingContentHash } from './finding-changes';
import { PRODUCER_SQL, REPORTED_AGAIN_SQL, SCOPE_SQL } from './finding-lifecycle';
import { FINDING_RETURNING, type FindingRow } from './finding-row';
import { tableName } from './table-name';
import { DEFAULT_TEAM } from './team';

/**
 * What a re-reported finding (same target and fingerprint) changes on its existing row:
 * - `refresh`: everything the reporter knows (kind, severity, rule, title, location, data, the
 *   reporting task and its producer and scope) and lastSeenAt; the last report of a duplicate within one call wins. Scans
 *   and benchmarks: the newest run describes the finding.
 * - `touch`: lastSeenAt only; the first report within one call wins. Runtime alerts re-sent by a
 *   sensor: the stored alert is the fact, a repeat only says it was seen again.
 * firstSeenAt never moves. Either way a RESOLVED finding reported again is OPEN and reopened; a
 * SUPPRESSED one stays suppressed (see finding-lifecycle.ts).
 */
export type FindingConflictPolicy = 'refresh' | 'touch';

export interface FindingUpsertOptions {
  onConflict: FindingConflictPolicy;
  /** The task that reports them (null: not reported by a task, e.g. ingested by the API). */
  taskId?: string | null;
  /**
   * The team they are stored under (their identity is (team, target, fingerprint)): the
   * reporting task's team, or the team of the request that records them. Default `default`.
   */
  team?: string;
  /**
   * The producer and scope the findings belong to (a complete report: SDK FindingReport).
   * Without it, the reporting task's (`<kind>/<type>`, its input) apply; without a task, none.
   */
  report?: { producer: string; scope: string };
}

/** A findings row as the upsert left it. */
export interface UpsertedFinding {
  id: string;
  kind: PluginKind;
  severity: Severity;
  ruleId: string;
  title: string;
  target: string;
  location: string | null;
  data: Record<string, unknown>;
  fingerprint: string;
  taskId: string | null;
  firstSeenAt: Date;
  lastSeenAt: Date;
  status: FindingStatus;
  resolvedAt: Date | null;
  reopenedAt: Date | null;
  /** True when this call created the row; false when the finding was already stored. */
  inserted: boolean;
  /** True when this call reported a RESOLVED finding again: it is OPEN again (reopened). */
  reopenedNow: boolean;
}

/** Rows per statement: one jsonb parameter each, so this bounds statement size, not bind parameters. */
export const FINDING_UPSERT_BATCH_ROWS = 500;

export type { FindingRow } from './finding-row';

interface ReturnedRow extends FindingRow {
  inserted: boolean;
  reopened_now: boolean;
}

const ON_CONFLICT: Record<FindingConflictPolicy, string> = {
  refresh: `kind = EXCLUDED.kind, severity = EXCLUDED.severity, rule_id = EXCLUDED.rule_id, title = EXCLUDED.title,
            location = EXCLUDED.location, data = EXCLUDED.data, task_id = EXCLUDED.task_id,
            producer = EXCLUDED.producer, scope = EXCLUDED.scope, content_hash = EXCLUDED.content_hash, last_seen_at = now(), ${REPORTED_AGAIN_SQL}`,
  touch: `last_seen_at = now(), ${REPORTED_AGAIN_SQL}`,
};

/**
 * ON CONFLICT ... DO UPDATE condition: a RESOLVED row (to reopen it), one whose content changed,
 * or one whose content hash is missing or stale (written once more, with its hash).
 */
const SKIP_UNCHANGED = `
       WHERE f.status = '${FindingStatus.RESOLVED}'
          OR (f.kind, f.severity, f.rule_id, f.title, f.location, f.data, f.producer, f.scope, f.content_hash)
             IS DISTINCT FROM (EXCLUDED.kind, EXCLUDED.severity, EXCLUDED.rule_id, EXCLUDED.title, EXCLUDED.location, EXCLUDED.data, EXCLUDED.producer, EXCLUDED.scope, EXCLUDED.content_hash)`;

/**
 * The one write path of findings: batched upserts on their identity (target, fingerprint) that
 * report, per distinct finding and in input order, the stored row and whether this call inserted
 * it (so that callers can announce only new findings). A finding without a fingerprint gets the
 * SDK's derived one. Used by the worker's ResultWriter and the API's alert store.
 */
export async function upsertFindings(
  dataSource: DataSource,
  findings: readonly FindingResult[],
  options: FindingUpsertOptions,
): Promise<UpsertedFinding[]> {
  const { report, ...rest } = options;
  return upsertReportedFindings(dataSource, [{ findings, ...(report ? { report } : {}) }], rest);
}

/** Findings with the producer and scope of their report (none: the reporting task's). */
export interface FindingGroup {
  findings: readonly FindingResult[];
  report?: { producer: string; scope: string };
}

/**
 * upsertFindings over several groups, each with its own report, in as few statements as the
 * batch size allows (a re-match reports one scope per image, hundreds per task).
 */
export async function upsertReportedFindings(
  dataSource: DataSource,
  groups: readonly FindingGroup[],
  options: Omit<FindingUpsertOptions, 'report'> & {
    /**
     * Leave a stored OPEN or SUPPRESSED row whose content (kind, severity, rule, title, location,
     * data, producer, scope) is unchanged as it is (not returned either): complete reports.
     */
    skipUnchanged?: boolean;
    /** Write in this transaction (default: the data source's own connection). */
    manager?: EntityManager;
  },
): Promise<UpsertedFinding[]> {
  // One statement cannot update the same row twice (ON CONFLICT): duplicates are merged first.
  const byKey = new Map<string, FindingResult & { source: FindingResult; fingerprint: string; producer: string | null; scope: string | null }>();
  for (const group of groups) {
    for (const finding of group.findings) {
      const fingerprint = findingFingerprint(finding);
      const key = `${finding.target}\u0000${fingerprint}`;
      if (options.onConflict === 'refresh') byKey.delete(key); // re-inserted: last wins, at its position
      else if (byKey.has(key)) continue;
      byKey.set(key, { ...finding, source: finding, fingerprint, producer: group.report?.producer ?? null, scope: group.report?.scope ?? null });
    }
  }
  const rows = [...byKey.values()];
  if (rows.length === 0) return [];
  const table = tableName(dataSource, FindingEntity);
  const tasks = tableName(dataSource, TaskEntity);
  const order = new Map([...byKey.keys()].map((key, index) => [key, index]));
  const out: UpsertedFinding[] = [];
  for (let i = 0; i < rows.length; i += FINDING_UPSERT_BATCH_ROWS) {
    const batch = rows.slice(i, i + FINDING_UPSERT_BATCH_ROWS).map((f) => ({
      kind: f.kind,
      severity: f.severity,
      rule_id: f.ruleId,
      title: f.title,
      target: f.target,
      location: f.location ?? null,
      data: f.data ?? {},
      fingerprint: f.fingerprint,
      producer: f.producer,
      scope: f.scope,
      // Known here only with a report's producer and scope (else the task's, resolved in SQL: no hash).
      content_hash: f.producer !== null && f.scope !== null ? findingContentHash(f.source, f.producer, f.scope) : null,
    }));
    // xmax = 0 only on rows this statement inserted (an updated row carries the updating xid).
    // The report, else the reporting task's row, gives the producer and scope (none without either).
    // A row reopened by this statement has reopened_at = now() at the column's precision.
    const returned: ReturnedRow[] = await (options.manager ?? dataSource).query(
      `INSERT INTO ${table} AS f (team, kind, severity, rule_id, title, target, location, data, fingerprint, task_id, producer, scope, content_hash)
       SELECT $3, r.kind, r.severity, r.rule_id, r.title, r.target, r.location, r.data, r.fingerprint, $2::uuid, COALESCE(r.producer, p.producer), COALESCE(r.scope, p.scope), r.content_hash
         FROM jsonb_to_recordset($1::jsonb) AS r(kind text, severity text, rule_id text, title text, target text, location text, data jsonb, fingerprint text, producer text, scope text, content_hash text)
         LEFT JOIN (SELECT ${PRODUCER_SQL} AS producer, ${SCOPE_SQL} AS scope FROM ${tasks} AS t WHERE t.id = $2::uuid AND t.team = $3) AS p ON true
       ON CONFLICT (team, target, fingerprint) DO UPDATE SET ${ON_CONFLICT[options.onConflict]}${options.skipUnchanged ? SKIP_UNCHANGED : ''}
       RETURNING ${FINDING_RETURNING}, (f.xmax = 0) AS inserted,
                 (f.xmax <> 0 AND f.reopened_at IS NOT NULL AND f.reopened_at = now()::timestamptz(3)) AS reopened_now`,
      [JSON.stringify(batch), options.taskId ?? null, options.team ?? DEFAULT_TEAM],
    );
    for (const row of returned) out.push(toUpserted(row));
  }
  // RETURNING order is not promised by Postgres; the caller's order is.
  return out.sort((a, b) => (order.get(`${a.target}\u0000${a.fingerprint}`) ?? 0) - (order.get(`${b.target}\u0000${b.fingerprint}`) ?? 0));
}

function toUpserted(row: ReturnedRow): UpsertedFinding {
  const { reopened: _reopened, ...finding } = findingRowToStored(row);
  return { ...finding, status: row.status, inserted: row.inserted, reopenedNow: row.reopened_now };
}

/** A raw finding row as the SDK's StoredFinding: the one mapping from columns to fields. */
export function findingRowToStored(row: FindingRow): StoredFinding {
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
    reopenedAt: row.reopened_at === null ? null : new Date(row.reopened_at),
    resolvedAt: row.resolved_at === null ? null : new Date(row.resolved_at),
  };
}

/** An upserted row as the SDK's StoredFinding (what HostFindings returns and the findings channel carries). */
export function storedFindingOf(finding: UpsertedFinding): StoredFinding {
  const { inserted: _inserted, reopenedNow: _reopenedNow, ...row } = finding;
  return { ...row, reopened: finding.status === 'OPEN' && finding.reopenedAt !== null };
}
