import { DataSource } from 'typeorm';
import { isScanTask, PROBE_FIELD, PROBE_RULE, SCAN_LABEL } from './workload';

/**
 * The suite's view of the database, beside the platform and independent of it: a trigger on the
 * task table writes every status change (and every re-claim, which bumps `attempts`) to a table
 * of the suite's own schema, in the same transaction as the change. So "SUCCEEDED exactly once"
 * is checked on what Postgres committed, not on what a process says it did.
 */
export class Ledger {
  private constructor(
    private readonly db: DataSource,
    private readonly schema: string,
  ) {}

  static async open(url: string, schema: string): Promise<Ledger> {
    // A small pool; its connections die with every Postgres restart and are replaced on use.
    const db = new DataSource({ type: 'postgres', url, extra: { max: 2, connectionTimeoutMillis: 5_000 } });
    await db.initialize();
    return new Ledger(db, schema);
  }

  /** Creates the transition table and the trigger (after the platform's migrations made `task`). */
  async install(): Promise<void> {
    const task = `"${this.schema}".task`;
    await this.db.query(`CREATE SCHEMA IF NOT EXISTS reliability`);
    await this.db.query(`CREATE TABLE reliability.task_transition (
      id bigserial PRIMARY KEY, task_id uuid NOT NULL, old_status text, new_status text NOT NULL,
      attempts integer NOT NULL, at timestamptz NOT NULL DEFAULT clock_timestamp())`);
    await this.db.query(`CREATE INDEX ON reliability.task_transition (task_id)`);
    await this.db.query(`CREATE FUNCTION reliability.record_task_transition() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'INSERT' THEN
          INSERT INTO reliability.task_transition (task_id, old_status, new_status, attempts) VALUES (NEW.id, NULL, NEW.status::text, NEW.attempts);
        ELSIF OLD.status IS DISTINCT FROM NEW.status OR OLD.attempts IS DISTINCT FROM NEW.attempts THEN
          INSERT INTO reliability.task_transition (task_id, old_status, new_status, attempts) VALUES (NEW.id, OLD.status::text, NEW.status::text, NEW.attempts);
        END IF;
        RETURN NULL;
      END $$`);
    await this.db.query(`CREATE TRIGGER reliability_task_transition AFTER INSERT OR UPDATE ON ${task} FOR EACH ROW EXECUTE FUNCTION reliability.record_task_transition()`);
  }

  /** Tasks per status now; undefined while Postgres does not answer. */
  async statusCounts(): Promise<Record<string, number> | undefined> {
    try {
      const rows: { status: string; n: string }[] = await this.db.query(`SELECT status::text AS status, count(*) AS n FROM "${this.schema}".task GROUP BY status`);
      return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
    } catch {
      return undefined;
    }
  }

  /** Ids of the tasks QUEUED or RUNNING now (empty while Postgres does not answer). */
  async unfinishedTaskIds(): Promise<string[]> {
    try {
      const rows: { id: string }[] = await this.db.query(`SELECT id FROM "${this.schema}".task WHERE status IN ('QUEUED', 'RUNNING')`);
      return rows.map((r) => r.id);
    } catch {
      return [];
    }
  }

  /** Every check of the run, as failure sentences (empty: passed) and figures. */
  async verify(accepted: ReadonlyMap<number, string>): Promise<{ failures: string[]; figures: LedgerFigures }> {
    const failures: string[] = [];
    const ids = [...accepted.values()];
    const s = `"${this.schema}"`;
    const byStatus: { status: string; n: string }[] = await this.db.query(`SELECT status::text AS status, count(*) AS n FROM ${s}.task WHERE id = ANY($1::uuid[]) GROUP BY status`, [ids]);
    const statusCounts = Object.fromEntries(byStatus.map((r) => [r.status, Number(r.n)]));
    const notSucceeded: { id: string; status: string; error: string | null }[] = await this.db.query(
      `SELECT id, status::text AS status, error FROM ${s}.task WHERE id = ANY($1::uuid[]) AND status <> 'SUCCEEDED' ORDER BY id LIMIT 10`,
      [ids],
    );
    const found: { n: string }[] = await this.db.query(`SELECT count(*) AS n FROM ${s}.task WHERE id = ANY($1::uuid[])`, [ids]);
    if (Number(found[0]?.n) !== ids.length) failures.push(`${ids.length - Number(found[0]?.n)} accepted tasks have no row`);
    if (notSucceeded.length > 0) failures.push(`accepted tasks not SUCCEEDED (${JSON.stringify(statusCounts)}), e.g. ${notSucceeded.map((t) => `${t.id} ${t.status}: ${t.error ?? ''}`).join('; ')}`);

    // Exactly once: one transition into SUCCEEDED per task, and none out of a finished state.
    const successes: { task_id: string; n: string }[] = await this.db.query(
      `SELECT task_id, count(*) FILTER (WHERE new_status = 'SUCCEEDED') AS n FROM reliability.task_transition WHERE task_id = ANY($1::uuid[]) GROUP BY task_id HAVING count(*) FILTER (WHERE new_status = 'SUCCEEDED') <> 1`,
      [ids],
    );
    if (successes.length > 0) failures.push(`${successes.length} accepted tasks did not become SUCCEEDED exactly once, e.g. ${successes.slice(0, 5).map((r) => `${r.task_id} ×${r.n}`).join(', ')}`);
    const afterFinish: { task_id: string; old_status: string; new_status: string }[] = await this.db.query(
      `SELECT task_id, old_status, new_status FROM reliability.task_transition WHERE old_status IN ('SUCCEEDED', 'FAILED', 'CANCELLED') LIMIT 5`,
    );
    if (afterFinish.length > 0) failures.push(`finished tasks changed again: ${afterFinish.map((r) => `${r.task_id} ${r.old_status}→${r.new_status}`).join(', ')}`);

    // No duplicate rows: one probe finding per task n, and no (team, target, fingerprint) twice.
    const probes: { rows: string; distinct: string }[] = await this.db.query(
      `SELECT count(*) AS rows, count(DISTINCT (data->'output_fields'->>'${PROBE_FIELD}')) AS distinct FROM ${s}.finding WHERE rule_id = $1`,
      [PROBE_RULE],
    );
    const probeRows = Number(probes[0]?.rows);
    const probeDistinct = Number(probes[0]?.distinct);
    if (probeRows !== probeDistinct) failures.push(`${probeRows - probeDistinct} duplicate probe findings (${probeRows} rows for ${probeDistinct} alerts)`);
    const accNs = [...accepted.keys()].filter((n) => !isScanTask(n));
    const probeTasks = accNs.length;

    if (probeRows !== probeTasks) failures.push(`${probeRows} probe findings for ${probeTasks} accepted ingest tasks`);
    const missing: { n: string }[] = await this.db.query(
      `SELECT n FROM unnest($1::int[]) AS n WHERE NOT EXISTS (SELECT 1 FROM ${s}.finding f WHERE f.rule_id = $2 AND f.data->'output_fields'->>'${PROBE_FIELD}' = n::text) LIMIT 10`,
      [accNs, PROBE_RULE],
    );
    if (missing.length > 0) failures.push(`accepted tasks whose finding is missing: n = ${missing.map((m) => m.n).join(', ')}`);
    const dupKeys: { n: string }[] = await this.db.query(`SELECT count(*) AS n FROM (SELECT 1 FROM ${s}.finding GROUP BY team, target, fingerprint HAVING count(*) > 1) d`);
    if (Number(dupKeys[0]?.n) > 0) failures.push(`${dupKeys[0]?.n} (team, target, fingerprint) keys hold more than one finding`);

    // Scans of one image, on several workers at once: one artifact, one row per package (as many
    // as each scan counted: all scans of the image report the same count).
    const scanIds = [...accepted].filter(([n]) => isScanTask(n)).map(([, id]) => id);
    const scanned: { digest: string | null; packages: string | null; n: string }[] = await this.db.query(
      `SELECT result->>'digest' AS digest, result->>'packageCount' AS packages, count(*) AS n FROM ${s}.task WHERE id = ANY($1::uuid[]) GROUP BY 1, 2`,
      [scanIds],
    );
    let artifactRows = 0;
    let packageRows = 0;
    if (scanIds.length > 0) {
      const only = scanned[0];
      if (scanned.length !== 1 || !only?.digest) failures.push(`the scans of one image did not all report the same image and package count: ${JSON.stringify(scanned)}`);
      const artifacts: { id: string }[] = await this.db.query(`SELECT id FROM ${s}.artifact WHERE digest = $1`, [only?.digest ?? '']);
      artifactRows = artifacts.length;
      if (artifactRows !== 1) failures.push(`${artifactRows} artifact rows for the scanned image ${only?.digest} (expected 1)`);
      const packages: { rows: string; keys: string }[] = await this.db.query(
        `SELECT count(*) AS rows, count(DISTINCT (purl, layer, path)) AS keys FROM ${s}.package WHERE artifact_id = ANY($1::uuid[])`,
        [artifacts.map((a) => a.id)],
      );
      packageRows = Number(packages[0]?.rows);
      if (packageRows !== Number(only?.packages) || Number(packages[0]?.keys) !== packageRows) {
        failures.push(`${packageRows} package rows (${packages[0]?.keys} distinct) for the scanned image, whose scans counted ${only?.packages} packages`);
      }
    }

    // Rows the client never heard of (an answer lost in a fault, the request sent again).
    const others: { status: string; n: string }[] = await this.db.query(`SELECT status::text AS status, count(*) AS n FROM ${s}.task WHERE NOT (id = ANY($1::uuid[])) GROUP BY status`, [ids]);
    const unacknowledged = Object.fromEntries(others.map((r) => [r.status, Number(r.n)]));
    const unfinishedOthers = others.filter((r) => r.status !== 'SUCCEEDED').reduce((sum, r) => sum + Number(r.n), 0);
    if (unfinishedOthers > 0) failures.push(`tasks the client was not told about did not all succeed: ${JSON.stringify(unacknowledged)}`);
    const perAlert: { n: string }[] = await this.db.query(
      `SELECT count(*) AS n FROM (SELECT coalesce(input->'alerts'->0->'output_fields'->>'${PROBE_FIELD}', 'scan ' || (labels->>'${SCAN_LABEL}')) AS k FROM ${s}.task GROUP BY 1 HAVING count(*) > 1) d`,
    );

    const attempts: { attempts: number; n: string }[] = await this.db.query(`SELECT attempts, count(*) AS n FROM ${s}.task WHERE id = ANY($1::uuid[]) GROUP BY attempts ORDER BY attempts`, [ids]);
    const transitions: { n: string }[] = await this.db.query(`SELECT count(*) AS n FROM reliability.task_transition WHERE task_id = ANY($1::uuid[])`, [ids]);
    return {
      failures,
      figures: {
        statusCounts,
        attempts: Object.fromEntries(attempts.map((a) => [String(a.attempts), Number(a.n)])),
        transitions: Number(transitions[0]?.n),
        probeFindings: probeRows,
        scans: scanIds.length,
        artifactRows,
        packageRows,
        unacknowledgedTasks: unacknowledged,
        alertsWithSeveralTasks: Number(perAlert[0]?.n),
      },
    };
  }

  /** When each accepted task first became SUCCEEDED (ms since epoch), for throughput and recovery figures. */
  async successTimes(ids: readonly string[]): Promise<number[]> {
    const rows: { at: Date }[] = await this.db.query(`SELECT min(at) AS at FROM reliability.task_transition WHERE task_id = ANY($1::uuid[]) AND new_status = 'SUCCEEDED' GROUP BY task_id`, [ids]);
    return rows.map((r) => new Date(r.at).getTime()).sort((a, b) => a - b);
  }

  /** Milliseconds from each task's row being written to its first SUCCEEDED, sorted. */
  async latencies(ids: readonly string[]): Promise<number[]> {
    const rows: { ms: string }[] = await this.db.query(
      `SELECT extract(epoch FROM min(at) FILTER (WHERE new_status = 'SUCCEEDED') - min(at)) * 1000 AS ms FROM reliability.task_transition WHERE task_id = ANY($1::uuid[]) GROUP BY task_id`,
      [ids],
    );
    return rows.map((r) => Number(r.ms)).filter((ms) => Number.isFinite(ms)).sort((a, b) => a - b);
  }

  async close(): Promise<void> {
    await this.db.destroy().catch(() => undefined);
  }
}

export interface LedgerFigures {
  statusCounts: Record<string, number>;
  /** Accepted tasks by the attempts their row records (1: ran once). */
  attempts: Record<string, number>;
  transitions: number;
  probeFindings: number;
  /** Accepted scans of the tiny image, and the artifact and package rows they converged on. */
  scans: number;
  artifactRows: number;
  packageRows: number;
  unacknowledgedTasks: Record<string, number>;
  alertsWithSeveralTasks: number;
}
