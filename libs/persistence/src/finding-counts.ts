import type { DataSource } from 'typeorm';
import { FINDING_TREND_KEEP_DAYS, pruneFindingTrend, recordOpenTodaySql, trendTablesOf, utcDay } from './finding-trend';
import { PeriodicRun } from './periodic-run';

/*
 * Exact finding counts without counting findings (migration FindingCounts1765900000001).
 *
 * Triggers on `finding` append signed deltas to `finding_count_delta` in the writer's own
 * transaction; the folder moves them into `finding_count` (per team, target, kind, severity,
 * status) and `finding_count_team` (per team, kind, severity, status). A read sums the counter
 * rows and the deltas not yet folded in ONE statement, so it sees one snapshot: a fold either
 * happened or did not, and the answer equals a count(*) over `finding` at that snapshot.
 */

/** What counts can be grouped by (the finding columns the counters keep). */
export type CountedFindingKey = 'kind' | 'severity' | 'status' | 'target';

/** The conditions counters can answer; any other condition needs the findings themselves. */
export interface CountedFindingFilter {
  kinds?: readonly string[];
  severities?: readonly string[];
  statuses?: readonly string[];
  targets?: readonly string[];
}

/** One group: its key values (in groupBy order) and its number of findings. */
export interface CountedGroup {
  keys: string[];
  count: number;
}

const COUNTED_KEYS: readonly CountedFindingKey[] = ['kind', 'severity', 'status', 'target'];

/** Whether a filter and a grouping use only what the counters keep. */
export function isCountable(filter: Record<string, unknown>, groupBy: readonly unknown[] = []): boolean {
  const answerable = new Set(['kinds', 'severities', 'statuses', 'targets']);
  return Object.entries(filter).every(([key, value]) => value === undefined || answerable.has(key)) && groupBy.every((key) => COUNTED_KEYS.includes(key as CountedFindingKey));
}

/** Anything that runs SQL with parameters: a DataSource, an EntityManager, a QueryRunner. */
export interface Queryable {
  query(sql: string, params?: unknown[]): Promise<any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- TypeORM's own signature
}

interface Tables {
  perTarget: string;
  perTeam: string;
  delta: string;
}

function tablesOf(dataSource: DataSource): Tables {
  const schema = (dataSource.options as { schema?: string }).schema;
  const q = (name: string) => (schema ? `"${schema}"."${name}"` : `"${name}"`);
  return { perTarget: q('finding_count'), perTeam: q('finding_count_team'), delta: q('finding_count_delta') };
}

class Params {
  readonly values: unknown[] = [];
  bind(value: unknown, cast = ''): string {
    this.values.push(value);
    return `$${this.values.length}${cast}`;
  }
}

/**
 * The rows to sum: counters of the team plus its unfolded deltas, filtered. Per target when the
 * filter names targets or the grouping needs them, else the team-wide counters (a few rows).
 * `after` continues a page of groups: key values compared as a row, inside both branches so each
 * reads its index from there.
 */
function countedRows(tables: Tables, team: string, filter: CountedFindingFilter, groupBy: readonly CountedFindingKey[], params: Params, after?: readonly string[]): string {
  const perTarget = filter.targets !== undefined || groupBy.includes('target');
  const conditions = [`team = ${params.bind(team)}`];
  const member = (column: string, values: readonly string[] | undefined) => {
    if (values === undefined) return;
    conditions.push(values.length === 0 ? 'FALSE' : values.length === 1 ? `${column} = ${params.bind(values[0])}` : `${column} = ANY(${params.bind([...values], '::text[]')})`);
  };
  member('target', filter.targets);
  member('kind', filter.kinds);
  member('severity', filter.severities);
  member('status', filter.statuses);
  if (after) conditions.push(`(${groupBy.join(', ')}) > (${after.map((value) => params.bind(value, '::text')).join(', ')})`);
  const columns = perTarget ? 'target, kind, severity, status, n' : 'kind, severity, status, n';
  const where = conditions.join(' AND ');
  return `(SELECT ${columns} FROM ${perTarget ? tables.perTarget : tables.perTeam} WHERE ${where} UNION ALL SELECT ${columns} FROM ${tables.delta} WHERE ${where}) AS counted`;
}

/** Exact counts of one team's findings from the counters (never a scan of `finding`). */
export class FindingCounts {
  private readonly tables: Tables;
  private readonly db: Queryable;

  /** `db`: where to read (default the data source; a transaction's manager reads in its snapshot). */
  constructor(dataSource: DataSource, db?: Queryable) {
    this.tables = tablesOf(dataSource);
    this.db = db ?? dataSource;
  }

  /** How many findings of the team match the filter. */
  async total(team: string, filter: CountedFindingFilter): Promise<number> {
    const params = new Params();
    const rows: { n: string }[] = await this.db.query(`SELECT COALESCE(sum(n), 0)::bigint AS n FROM ${countedRows(this.tables, team, filter, [], params)}`, params.values);
    return Number(rows[0]?.n ?? 0);
  }

  /** One page of groups in key order (ascending text), after the group `after`; empty groups are left out. */
  async groups(team: string, filter: CountedFindingFilter, groupBy: readonly CountedFindingKey[], page: { limit: number; after?: readonly string[] }): Promise<CountedGroup[]> {
    checkGroupBy(groupBy);
    if (page.after && page.after.length !== groupBy.length) throw new Error(`a group cursor holds ${page.after.length} keys, the grouping ${groupBy.length}`);
    if (groupBy.length === 1 && groupBy[0] === 'target') return this.targetGroups(team, filter, page);
    const params = new Params();
    const source = countedRows(this.tables, team, filter, groupBy, params, page.after);
    const keys = groupBy.join(', ');
    const rows: Record<string, string>[] = await this.db.query(
      `SELECT ${groupBy.map((key, index) => `${key} AS k${index}`).join(', ')}, sum(n)::bigint AS n FROM ${source}
        GROUP BY ${keys} HAVING sum(n) <> 0 ORDER BY ${keys} LIMIT ${params.bind(page.limit, '::int')}`,
      params.values,
    );
    return rows.map((row) => ({ keys: groupBy.map((_, index) => String(row[`k${index}`])), count: Number(row['n']) }));
  }

  /**
   * A page of targets (images) among tens of thousands, reading only about a page of counters:
   * the counters of the first targets in key order (an index range that stops early), plus
   * every unfolded delta, summed up to the last target read. Each target in the deltas can
   * empty at most one target read, so reading that many more keeps a full page full.
   */
  private async targetGroups(team: string, filter: CountedFindingFilter, page: { limit: number; after?: readonly string[] }): Promise<CountedGroup[]> {
    const params = new Params();
    const conditions = [`team = ${params.bind(team)}`];
    const member = (column: string, values: readonly string[] | undefined) => {
      if (values === undefined) return;
      conditions.push(values.length === 0 ? 'FALSE' : `${column} = ANY(${params.bind([...values], '::text[]')})`);
    };
    member('target', filter.targets);
    member('kind', filter.kinds);
    member('severity', filter.severities);
    member('status', filter.statuses);
    if (page.after) conditions.push(`target > ${params.bind(page.after[0], '::text')}`);
    const where = conditions.join(' AND ');
    const limit = params.bind(page.limit, '::int');
    const rows: { target: string; n: string }[] = await this.db.query(
      `WITH delta AS (SELECT target, sum(n) AS n FROM ${this.tables.delta} WHERE ${where} GROUP BY target),
            base AS (SELECT target, sum(n) AS n FROM ${this.tables.perTarget} WHERE ${where} GROUP BY target ORDER BY target
                      LIMIT ${limit} + (SELECT count(*) FROM delta)),
            bound AS (SELECT CASE WHEN count(*) < ${limit} + (SELECT count(*) FROM delta) THEN NULL ELSE max(target) END AS last FROM base)
       SELECT u.target, sum(u.n)::bigint AS n FROM (SELECT target, n FROM base UNION ALL SELECT target, n FROM delta) AS u, bound
        WHERE bound.last IS NULL OR u.target <= bound.last
        GROUP BY u.target HAVING sum(u.n) <> 0 ORDER BY u.target LIMIT ${limit}`,
      params.values,
    );
    return rows.map((row) => ({ keys: [row.target], count: Number(row.n) }));
  }

  /** The number of non-empty groups. */
  async groupCount(team: string, filter: CountedFindingFilter, groupBy: readonly CountedFindingKey[]): Promise<number> {
    checkGroupBy(groupBy);
    const params = new Params();
    const keys = groupBy.join(', ');
    const rows: { n: string }[] = await this.db.query(
      `SELECT count(*)::bigint AS n FROM (SELECT ${keys} FROM ${countedRows(this.tables, team, filter, groupBy, params)} GROUP BY ${keys} HAVING sum(n) <> 0) AS g`,
      params.values,
    );
    return Number(rows[0]?.n ?? 0);
  }
}

function checkGroupBy(groupBy: readonly CountedFindingKey[]): void {
  if (groupBy.length === 0) throw new Error('group finding counts by at least one key');
  for (const key of groupBy) if (!COUNTED_KEYS.includes(key)) throw new Error(`finding counts cannot be grouped by ${JSON.stringify(key)}`);
}

/** Advisory lock class of the folder (any 32-bit number unique to Bulkhead); the object is the schema. */
const FOLD_LOCK_CLASS = 0x42_48_46_43;

/** When a fold happens (tests pass their own) and how many days of the open trend it keeps. */
export interface FoldOptions {
  now?: Date;
  keepTrendDays?: number;
}

/**
 * Moves the unfolded deltas into the counters, in one transaction; one folder at a time per
 * schema (others skip: null). Returns how many delta rows it moved. Counters that fall to zero
 * are removed, so the tables hold only what exists. The same statement records the new OPEN
 * counts of the keys it changed as today's (UTC) trend rows (finding-trend.ts), and once a day
 * the trend's oldest days are pruned.
 */
export async function foldFindingCounts(dataSource: DataSource, options: FoldOptions = {}): Promise<number | null> {
  const tables = tablesOf(dataSource);
  const trendTables = trendTablesOf(dataSource);
  const today = utcDay(options.now ?? new Date());
  const schema = (dataSource.options as { schema?: string }).schema ?? 'public';
  return dataSource.transaction(async (manager) => {
    const [lock] = (await manager.query('SELECT pg_try_advisory_xact_lock($1, hashtext($2)) AS ok', [FOLD_LOCK_CLASS, schema])) as { ok: boolean }[];
    if (!lock?.ok) return null;
    const [result] = (await manager.query(
      `WITH moved AS (DELETE FROM ${tables.delta} RETURNING team, target, kind, severity, status, n),
       per_target AS (
         INSERT INTO ${tables.perTarget} AS c (team, target, kind, severity, status, n)
         SELECT team, target, kind, severity, status, sum(n) FROM moved GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5
         ON CONFLICT (team, target, kind, severity, status) DO UPDATE SET n = c.n + EXCLUDED.n
         RETURNING c.team, c.target, c.kind, c.severity, c.status, c.n),
       per_team AS (
         INSERT INTO ${tables.perTeam} AS c (team, kind, severity, status, n)
         SELECT team, kind, severity, status, sum(n) FROM moved GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
         ON CONFLICT (team, kind, severity, status) DO UPDATE SET n = c.n + EXCLUDED.n
         RETURNING c.team, c.kind, c.severity, c.status, c.n),
       daily AS (${recordOpenTodaySql(trendTables, 'per_team', '$1')})
       SELECT (SELECT count(*) FROM moved)::int AS moved,
              (SELECT COALESCE(jsonb_agg(jsonb_build_array(team, target, kind, severity, status)), '[]') FROM per_target WHERE n = 0) AS empty_targets,
              (SELECT COALESCE(jsonb_agg(jsonb_build_array(team, kind, severity, status)), '[]') FROM per_team WHERE n = 0) AS empty_teams`,
      [today],
    )) as { moved: number; empty_targets: string[][]; empty_teams: string[][] }[];
    await pruneFindingTrend(manager, trendTables, today, options.keepTrendDays ?? FINDING_TREND_KEEP_DAYS);
    if (!result) return 0;
    if (result.empty_targets.length > 0) {
      await manager.query(
        `DELETE FROM ${tables.perTarget} AS c USING jsonb_array_elements($1::jsonb) AS e
          WHERE (c.team, c.target, c.kind, c.severity, c.status) = (e->>0, e->>1, e->>2, e->>3, e->>4) AND c.n = 0`,
        [JSON.stringify(result.empty_targets)],
      );
    }
    if (result.empty_teams.length > 0) {
      await manager.query(
        `DELETE FROM ${tables.perTeam} AS c USING jsonb_array_elements($1::jsonb) AS e
          WHERE (c.team, c.kind, c.severity, c.status) = (e->>0, e->>1, e->>2, e->>3) AND c.n = 0`,
        [JSON.stringify(result.empty_teams)],
      );
    }
    return result.moved;
  });
}

/**
 * Folds the deltas every `intervalMs` (each API replica runs one; the advisory lock lets one
 * fold at a time). Reads are exact without it: it keeps them reading few rows.
 */
export class FindingCountFolder {
  private readonly periodic: PeriodicRun;

  constructor(
    private readonly dataSource: DataSource,
    onError: (error: unknown) => void,
  ) {
    this.periodic = new PeriodicRun(() => foldFindingCounts(this.dataSource), onError);
  }

  /** Folds now and every `intervalMs`; a slow fold is not joined by another from this process. */
  start(intervalMs: number): void {
    this.periodic.start(intervalMs);
  }

  stop(): Promise<void> {
    return this.periodic.stop();
  }
}
