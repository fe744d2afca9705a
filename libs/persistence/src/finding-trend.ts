import type { DataSource, EntityManager } from 'typeorm';

/*
 * The daily trend of open findings (migration FindingOpenDaily1766000000100).
 *
 * `finding_open_daily` holds, per team, kind and severity, the number of OPEN findings at the
 * end of a UTC day; the counter folder writes today's rows for the keys it changed
 * (`recordOpenToday`), so a day is frozen at its last fold. A key without a row on a day kept its
 * previous value. `finding_open_daily_since` says from which day the rows are complete: earlier
 * days are unknown and never reported. Reads touch only these two tables, never `finding`.
 */

/** How many days of rows the folder keeps (the API asks for at most 366). */
export const FINDING_TREND_KEEP_DAYS = 400;
/** The most days one trend read may ask for. */
export const FINDING_TREND_MAX_DAYS = 366;

const DAY_MS = 86_400_000;

/** The UTC day of an instant, as YYYY-MM-DD. */
export function utcDay(at: Date): string {
  return at.toISOString().slice(0, 10);
}

function addDays(day: string, days: number): string {
  return utcDay(new Date(Date.parse(`${day}T00:00:00Z`) + days * DAY_MS));
}

interface TrendTables {
  daily: string;
  since: string;
}

export function trendTablesOf(dataSource: DataSource): TrendTables {
  const schema = (dataSource.options as { schema?: string }).schema;
  const q = (name: string) => (schema ? `"${schema}"."${name}"` : `"${name}"`);
  return { daily: q('finding_open_daily'), since: q('finding_open_daily_since') };
}

/**
 * A CTE (to join to the folder's statement) that upserts today's open count of every key in
 * `source`, a CTE of (team, kind, severity, status, n) rows holding the counters' new values.
 */
export function recordOpenTodaySql(tables: TrendTables, source: string, dayParam: string): string {
  return `INSERT INTO ${tables.daily} AS d (team, kind, severity, day, open)
          SELECT team, kind, severity, ${dayParam}::date, n FROM ${source} WHERE status = 'OPEN' ORDER BY 1, 2, 3
          ON CONFLICT (team, kind, severity, day) DO UPDATE SET open = EXCLUDED.open`;
}

/**
 * Drops the rows of days older than `keepDays` (today included), once a day: the last row of
 * each key before the cut moves to the cut day (unless that day has its own), so carried-forward
 * values stay right, and a key whose first row is then 0 loses it (absent already means 0).
 * `since` moves to the cut: earlier days are unknown from now on. Run inside the folder's
 * transaction (under its lock). Returns whether it pruned.
 */
export async function pruneFindingTrend(manager: EntityManager, tables: TrendTables, today: string, keepDays = FINDING_TREND_KEEP_DAYS): Promise<boolean> {
  const cut = addDays(today, -(keepDays - 1));
  const [since] = (await manager.query(`SELECT day::text AS day FROM ${tables.since}`)) as { day: string }[];
  if (!since || since.day >= cut) return false;
  await manager.query(
    `INSERT INTO ${tables.daily} (team, kind, severity, day, open)
     SELECT DISTINCT ON (team, kind, severity) team, kind, severity, $1::date, open FROM ${tables.daily}
      WHERE day < $1::date ORDER BY team, kind, severity, day DESC
     ON CONFLICT (team, kind, severity, day) DO NOTHING`,
    [cut],
  );
  await manager.query(`DELETE FROM ${tables.daily} WHERE day < $1::date`, [cut]);
  await manager.query(`DELETE FROM ${tables.daily} WHERE day = $1::date AND open = 0`, [cut]);
  await manager.query(`UPDATE ${tables.since} SET day = $1::date`, [cut]);
  return true;
}

/** The open findings of one severity at the end of one UTC day (today: as of the last fold, at most a few seconds old). */
export interface TrendPoint {
  day: string;
  severity: string;
  open: number;
}

interface DailyRow {
  kind: string;
  severity: string;
  day: string;
  open: string;
}

export interface TrendRequest {
  /** How many days back, today included (1 to FINDING_TREND_MAX_DAYS). */
  days: number;
  kinds?: readonly string[];
  /** The severities to report, in this order (every one, zeros included). */
  severities: readonly string[];
  /** The current instant (tests pass their own). */
  now?: Date;
}

/** Reads the trend of one team from the daily rows. */
export class FindingTrend {
  private readonly tables: TrendTables;

  constructor(private readonly dataSource: DataSource) {
    this.tables = trendTablesOf(dataSource);
  }

  /**
   * For every known day in the window, oldest first, one point per requested severity (summed
   * over the requested kinds). Days before `since` are left out: nobody counted them.
   */
  async read(team: string, request: TrendRequest): Promise<TrendPoint[]> {
    if (!Number.isInteger(request.days) || request.days < 1 || request.days > FINDING_TREND_MAX_DAYS) {
      throw new RangeError(`days must be an integer from 1 to ${FINDING_TREND_MAX_DAYS}, not ${request.days}`);
    }
    const today = utcDay(request.now ?? new Date());
    const [since] = (await this.dataSource.query(`SELECT day::text AS day FROM ${this.tables.since}`)) as { day: string }[];
    if (!since) return [];
    const windowStart = addDays(today, -(request.days - 1));
    const first = since.day > windowStart ? since.day : windowStart;
    if (first > today || request.severities.length === 0) return [];
    const params: unknown[] = [team, first, today, [...request.severities]];
    const kindCondition = request.kinds && request.kinds.length > 0 ? `AND kind = ANY($${params.push([...request.kinds])}::text[])` : '';
    // Per key present up to today: its last row before the window (the value carried in) and its rows in the window, each an index range.
    const rows = (await this.dataSource.query(
      `WITH keys AS (SELECT DISTINCT kind, severity FROM ${this.tables.daily} WHERE team = $1 AND severity = ANY($4::text[]) ${kindCondition} AND day <= $3::date)
       SELECT k.kind, k.severity, v.day::text AS day, v.open::bigint AS open FROM keys k CROSS JOIN LATERAL (
         (SELECT day, open FROM ${this.tables.daily} s WHERE s.team = $1 AND s.kind = k.kind AND s.severity = k.severity AND s.day < $2::date ORDER BY s.day DESC LIMIT 1)
         UNION ALL
         (SELECT day, open FROM ${this.tables.daily} s WHERE s.team = $1 AND s.kind = k.kind AND s.severity = k.severity AND s.day BETWEEN $2::date AND $3::date)) v
       ORDER BY k.kind, k.severity, v.day`,
      params,
    )) as DailyRow[];
    // Carry each key's value forward day by day, then add the keys of a severity up.
    const days: string[] = [];
    for (let day = first; day <= today; day = addDays(day, 1)) days.push(day);
    const totals = new Map<string, number>();
    for (let start = 0; start < rows.length; ) {
      const key = rows[start] as DailyRow;
      let end = start;
      while (end < rows.length && rows[end]?.kind === key.kind && rows[end]?.severity === key.severity) end++;
      let next = start;
      let current = 0;
      for (const day of days) {
        while (next < end && (rows[next] as DailyRow).day <= day) current = Number((rows[next++] as DailyRow).open);
        const slot = `${day} ${key.severity}`;
        totals.set(slot, (totals.get(slot) ?? 0) + current);
      }
      start = end;
    }
    const points: TrendPoint[] = [];
    for (const day of days) {
      for (const severity of request.severities) points.push({ day, severity, open: totals.get(`${day} ${severity}`) ?? 0 });
    }
    return points;
  }
}
