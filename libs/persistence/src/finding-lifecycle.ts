import type { DataSource, EntityManager } from 'typeorm';
import { FindingEntity, FindingStatus, TaskEntity, TaskFindingScopeEntity } from './entities';
import { FINDING_RETURNING, type FindingRow } from './finding-row';
import { tableName } from './table-name';

/*
 * Finding lifecycle
 * -----------------
 * A finding is OPEN when first stored. It becomes RESOLVED when the next successful run of the
 * same producer over the same scope no longer reports it, and OPEN again (with `reopenedAt` set:
 * "reopened") when a later run reports it again. SUPPRESSED is set by a person and kept: a rerun
 * neither resolves nor reopens a suppressed finding; lifting the suppression, or its expiry
 * passing, makes it OPEN (reason, justification and expiry: finding-suppression.ts).
 *
 * "The same producer over the same target", precisely:
 * - producer: `<task kind>/<task type>` of the task that last reported the finding, e.g.
 *   `benchmark/k8s`. One (kind, type) is handled by one plugin, whatever its version: an upgraded
 *   plugin's run resolves what the new version no longer reports.
 * - scope: the identity of what that task was asked to look at, its validated input: the sha256
 *   of the stored input (jsonb text, which Postgres prints canonically). A benchmark over a
 *   manifest directory reports findings on many targets (each workload); they all share the
 *   run's scope, so a rerun over the same directory with the same options resolves those, and
 *   only those, it did not report again. A run with other options (another check set, another
 *   directory) is another scope and resolves nothing of this one.
 * Both are recorded on the finding by each report (upsertFindings, from the reporting task's
 * row); when another producer reports the same finding (same target and fingerprint), it
 * becomes that producer's.
 *
 * Complete reports over a named scope (the SDK's FindingReport): a task may say itself which
 * (producer, scope) some findings belong to, e.g. `scanner/vulnerability` over one image id, so
 * that a scan and every later re-match of that image (another task type, another input) are
 * runs of the same producer over the same scope. Those findings are stored with the report's
 * producer and scope, and the pair is recorded as covered by the task (`task_finding_scope`),
 * even when the report held no finding. Findings a task stores without a report keep the
 * task-derived producer and scope above.
 *
 * A complete report writes only what changed: a finding it reports again unchanged keeps its
 * row as it is (its lastSeenAt and task are those of the report that last changed or reopened
 * it; when the scope was last reported completely is its task's time, in task_finding_scope).
 * Re-matching ten thousand images after an advisory update then rewrites the few findings the
 * update changed, not every finding (bench/vuln-rematch.ts).
 *
 * A complete report may be complete over part of its pair only (FindingReport.locations): then
 * only the OPEN findings of the pair at those locations that it did not name are resolved. A
 * re-match after an advisory update re-reports the packages the update changed (a vulnerability's
 * location names its package); the image's other findings are neither read nor touched.
 *
 * Resolution happens when a task SUCCEEDS (TaskStore.succeed, in the same transaction): the
 * OPEN findings of its own (producer, scope) whose last report is not from this task, and the
 * OPEN findings of every pair (or part of a pair) it covered with a report that the report did
 * not name, are RESOLVED. The image's secret findings (another
 * producer) are untouched by a vulnerability re-match.
 * A failed or cancelled run resolves nothing (it may have stopped half-way). Findings without a
 * producer (ingested by the API) and runtime findings (kind `runtime`: events, not states) are
 * never resolved by absence.
 *
 * Known limit: "reported by this task" is "last reported by this task id". A finding written by
 * an earlier, failed attempt of the same task that the successful attempt did not report again
 * stays OPEN until the next run of that producer and scope resolves it.
 *
 * Rows re-keyed by the image-identity migration: scanner findings targeting an image's old
 * manifest digest are not reported any more (findings now target the image id), so the next
 * successful scan of that source resolves them and opens their successors.
 */

/** Finding kinds that record events: never resolved because a later run did not repeat them. */
export const EVENT_FINDING_KINDS = ['runtime'] as const;

/**
 * SQL over a task row aliased `t`: its producer and scope. The finding-lifecycle migration
 * repeats these expressions literally (a migration never changes); change both together.
 */
export const PRODUCER_SQL = `t.kind || '/' || t.type`;
export const SCOPE_SQL = `encode(sha256(convert_to(t.input::text, 'UTF8')), 'hex')`;

/**
 * Resolves the OPEN findings of the task's (producer, scope), and of the (producer, scope) pairs
 * it covered with complete reports, that this task did not report. Call in the transaction that
 * marks the task SUCCEEDED. Returns the rows it resolved (for announcements).
 *
 * Two statements, so each walks IDX_finding_team_producer_scope for its pairs: the task's own
 * pair ("not reported" = not last written by this task), then the covered pairs ("not reported"
 * = not among the fingerprints the report named: a complete report leaves unchanged rows alone).
 */
export async function resolveUnreportedFindings(manager: EntityManager, taskId: string): Promise<FindingRow[]> {
  const tables = lifecycleTables(manager.connection);
  const [own] = (await manager.query(`${resolveOwnPairSql(tables, tables.tasks)} RETURNING ${FINDING_RETURNING}`, [taskId, EVENT_FINDING_KINDS])) as [FindingRow[], number];
  const [reported] = (await manager.query(`${resolveCoveredPairsSql(tables)} RETURNING ${FINDING_RETURNING}`, [taskId, EVENT_FINDING_KINDS])) as [FindingRow[], number];
  return [...own, ...reported];
}

/** Quoted, schema-qualified names of the tables resolution reads and writes. */
export function lifecycleTables(dataSource: DataSource): { findings: string; tasks: string; covered: string } {
  return { findings: tableName(dataSource, FindingEntity), tasks: tableName(dataSource, TaskEntity), covered: tableName(dataSource, TaskFindingScopeEntity) };
}

const RESOLVE_SET = `SET status = '${FindingStatus.RESOLVED}', resolved_at = now()`;
const OPEN_NOT_EVENT = `f.status = '${FindingStatus.OPEN}' AND f.kind <> ALL($2::text[])`;

/**
 * The UPDATE (without RETURNING) that resolves the task's own pair: $1 the task id, $2 the event
 * kinds. `taskRelation` (aliased `t`) is the task table, or a CTE holding the tasks' rows as just
 * updated (the one-statement success of TaskStore), whose tasks `taskCondition` picks: the same
 * conditions either way.
 */
export function resolveOwnPairSql(tables: { findings: string }, taskRelation: string, taskCondition = 't.id = $1'): string {
  return `UPDATE ${tables.findings} AS f ${RESOLVE_SET}
       FROM ${taskRelation} AS t
      WHERE ${taskCondition} AND f.team = t.team AND f.producer = ${PRODUCER_SQL} AND f.scope = ${SCOPE_SQL}
        AND ${OPEN_NOT_EVENT} AND f.task_id IS DISTINCT FROM t.id`;
}

/**
 * The UPDATE (without RETURNING) that resolves the pairs the task covered with complete reports
 * ($1, $2 as above; `taskCondition` on the covered row `c` picks other tasks), plus `extra` conditions.
 */
export function resolveCoveredPairsSql(tables: { findings: string; covered: string }, extra = '', taskCondition = 'c.task_id = $1'): string {
  return `UPDATE ${tables.findings} AS f ${RESOLVE_SET}
       FROM ${tables.covered} AS c
      WHERE ${taskCondition} AND f.team = c.team AND f.producer = c.producer AND f.scope = c.scope
        AND ${OPEN_NOT_EVENT} AND f.fingerprint <> ALL(c.fingerprints)
        AND (c.locations IS NULL OR f.location = ANY(c.locations))${extra ? ` AND ${extra}` : ''}`;
}

/** One (producer, scope) a task reported on completely, and the fingerprints it reported there. */
export interface CoveredScope {
  producer: string;
  scope: string;
  fingerprints: readonly string[];
  /** Complete over these locations only (FindingReport.locations); absent: the whole pair. */
  locations?: readonly string[];
}

/**
 * Records that the task reported completely on these (producer, scope) pairs, and what it
 * reported there (idempotent; a pair reported twice by one task is the union). Call before or
 * with the findings of the report: a task that fails after it resolves nothing.
 */
export async function recordCoveredScopes(manager: EntityManager, taskId: string, team: string, scopes: readonly CoveredScope[]): Promise<void> {
  if (scopes.length === 0) return;
  // One statement may not update a row twice: the same pair given twice is merged first.
  // Locations: a whole-pair report anywhere makes the pair whole (null), else their union.
  const merged = new Map<string, { producer: string; scope: string; fingerprints: Set<string>; locations: Set<string> | null }>();
  for (const s of scopes) {
    const key = `${s.producer}\u0000${s.scope}`;
    const entry = merged.get(key) ?? { producer: s.producer, scope: s.scope, fingerprints: new Set<string>(), locations: s.locations ? new Set<string>() : null };
    for (const fingerprint of s.fingerprints) entry.fingerprints.add(fingerprint);
    if (!s.locations) entry.locations = null;
    else if (entry.locations) for (const location of s.locations) entry.locations.add(location);
    merged.set(key, entry);
  }
  const rows = [...merged.values()].map((s) => ({ producer: s.producer, scope: s.scope, fingerprints: [...s.fingerprints], locations: s.locations ? [...s.locations] : null }));
  const covered = tableName(manager.connection, TaskFindingScopeEntity);
  await manager.query(
    `INSERT INTO ${covered} AS c (task_id, team, producer, scope, fingerprints, locations)
     SELECT $1::uuid, $2, p.producer, p.scope, ARRAY(SELECT jsonb_array_elements_text(p.fingerprints)),
            CASE WHEN p.locations IS NULL OR jsonb_typeof(p.locations) = 'null' THEN NULL ELSE ARRAY(SELECT jsonb_array_elements_text(p.locations)) END
       FROM jsonb_to_recordset($3::jsonb) AS p(producer text, scope text, fingerprints jsonb, locations jsonb)
     ON CONFLICT (task_id, producer, scope) DO UPDATE
        SET fingerprints = ARRAY(SELECT DISTINCT x FROM unnest(c.fingerprints || EXCLUDED.fingerprints) AS x),
            locations = CASE WHEN c.locations IS NULL OR EXCLUDED.locations IS NULL THEN NULL
                             ELSE ARRAY(SELECT DISTINCT x FROM unnest(c.locations || EXCLUDED.locations) AS x) END`,
    [taskId, team, JSON.stringify(rows)],
  );
}

/**
 * How a re-report changes the lifecycle columns of an existing row `f` (ON CONFLICT DO UPDATE):
 * a RESOLVED finding reported again is OPEN and reopened now; OPEN and SUPPRESSED stay.
 */
export const REPORTED_AGAIN_SQL = `status = CASE WHEN f.status = '${FindingStatus.RESOLVED}' THEN '${FindingStatus.OPEN}' ELSE f.status END,
            resolved_at = CASE WHEN f.status = '${FindingStatus.RESOLVED}' THEN NULL ELSE f.resolved_at END,
            reopened_at = CASE WHEN f.status = '${FindingStatus.RESOLVED}' THEN now() ELSE f.reopened_at END`;

/**
 * Settles complete reports at once (FindingReport.settle `immediate`): the OPEN findings of each
 * (producer, scope) pair of the team, at its locations when given, that the report did not name
 * are RESOLVED now. Call in the transaction that writes the reports' findings. Returns the rows
 * it resolved (for announcements). Nothing is recorded in task_finding_scope: the task's later
 * success or failure does not touch these pairs again.
 */
export async function resolveUnreportedNow(manager: EntityManager, team: string, scopes: readonly CoveredScope[]): Promise<FindingRow[]> {
  if (scopes.length === 0) return [];
  const findings = tableName(manager.connection, FindingEntity);
  const rows = scopes.map((s) => ({ producer: s.producer, scope: s.scope, fingerprints: s.fingerprints, locations: s.locations ?? null }));
  const [resolved] = (await manager.query(
    `UPDATE ${findings} AS f SET status = '${FindingStatus.RESOLVED}', resolved_at = now()
       FROM (SELECT p.producer, p.scope, ARRAY(SELECT jsonb_array_elements_text(p.fingerprints)) AS fingerprints,
                    CASE WHEN jsonb_typeof(p.locations) = 'array' THEN ARRAY(SELECT jsonb_array_elements_text(p.locations)) END AS locations
               FROM jsonb_to_recordset($2::jsonb) AS p(producer text, scope text, fingerprints jsonb, locations jsonb)) AS c
      WHERE f.team = $1 AND f.producer = c.producer AND f.scope = c.scope
        AND f.status = '${FindingStatus.OPEN}' AND f.kind <> ALL($3::text[]) AND f.fingerprint <> ALL(c.fingerprints)
        AND (c.locations IS NULL OR f.location = ANY(c.locations))
      RETURNING ${FINDING_RETURNING}`,
    [team, JSON.stringify(rows), EVENT_FINDING_KINDS],
  )) as [FindingRow[], number];
  return resolved;
}
