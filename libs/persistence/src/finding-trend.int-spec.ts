import type { FindingResult, Severity } from '@bulkhead/plugin-sdk';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from './data-source';
import { foldFindingCounts } from './finding-counts';
import { FindingTrend, utcDay, type TrendPoint } from './finding-trend';
import { upsertFindings } from './finding-upsert';
import { migrations } from './migrations';
import { createTestDatabase, type TestDatabase } from './testing';

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase('finding_trend');
  // The clock of this suite: the trend is complete from DAY1 on (as if the feature shipped then).
  await db.dataSource.query(`UPDATE finding_open_daily_since SET day = '2030-01-01'`);
});

afterAll(async () => {
  await db?.drop();
});

const DAY1 = new Date('2030-01-01T23:59:00Z');
const DAY2 = new Date('2030-01-02T08:00:00Z');
const DAY2_LATER = new Date('2030-01-02T22:00:00Z');
const DAY3 = new Date('2030-01-03T12:00:00Z');
const SEVERITIES: Severity[] = ['CRITICAL', 'HIGH', 'LOW'];

function finding(team: string, n: number, severity: Severity, kind: FindingResult['kind'] = 'scanner'): FindingResult {
  return { kind, severity, ruleId: `R-${n}`, title: `R-${n}`, target: `sha256:${team}`, fingerprint: `${team}-${n}` };
}

async function write(team: string, findings: FindingResult[]): Promise<void> {
  await upsertFindings(db.dataSource, findings, { onConflict: 'refresh', team });
}

/** Open findings per severity of a team now, by count(*) (the truth a fold's row must equal). */
async function openNow(team: string): Promise<Record<string, number>> {
  const rows: { severity: string; n: number }[] = await db.dataSource.query(`SELECT severity, count(*)::int AS n FROM finding WHERE team = $1 AND status = 'OPEN' GROUP BY 1`, [team]);
  return Object.fromEntries(rows.map((r) => [r.severity, r.n]));
}

const table = (points: TrendPoint[]) => points.map((p) => `${p.day} ${p.severity} ${p.open}`);

describe('finding trend', () => {
  it('records each UTC day at its last fold, carries quiet days forward and leaves unknown days out', async () => {
    const trend = new FindingTrend(db.dataSource);
    await write('a', [finding('a', 1, 'HIGH'), finding('a', 2, 'HIGH'), finding('a', 3, 'HIGH'), finding('a', 4, 'CRITICAL')]);
    await write('b', [finding('b', 1, 'LOW')]);
    await foldFindingCounts(db.dataSource, { now: DAY1 });
    // Day 2: one HIGH resolved, two runtime LOW alerts; folded, then more change the same day.
    await db.dataSource.query(`UPDATE finding SET status = 'RESOLVED', resolved_at = now() WHERE team = 'a' AND fingerprint = 'a-1'`);
    await write('a', [finding('a', 5, 'LOW', 'runtime'), finding('a', 6, 'LOW', 'runtime')]);
    await foldFindingCounts(db.dataSource, { now: DAY2 });
    await db.dataSource.query(`UPDATE finding SET status = 'SUPPRESSED' WHERE team = 'a' AND fingerprint = 'a-4'`);
    await write('a', [finding('a', 7, 'HIGH')]);
    await foldFindingCounts(db.dataSource, { now: DAY2_LATER });
    expect(await openNow('a')).toEqual({ HIGH: 3, LOW: 2 });
    // Day 3: no fold changed anything: day 2's values carry on. Days before DAY1 are unknown, so absent.
    expect(table(await trend.read('a', { days: 5, severities: SEVERITIES, now: DAY3 }))).toEqual([
      '2030-01-01 CRITICAL 1',
      '2030-01-01 HIGH 3',
      '2030-01-01 LOW 0',
      '2030-01-02 CRITICAL 0',
      '2030-01-02 HIGH 3',
      '2030-01-02 LOW 2',
      '2030-01-03 CRITICAL 0',
      '2030-01-03 HIGH 3',
      '2030-01-03 LOW 2',
    ]);
    // The window: the last 2 days only; a kind filter; a severity subset in the caller's order.
    expect(table(await trend.read('a', { days: 2, severities: ['LOW', 'HIGH'], kinds: ['runtime'], now: DAY3 }))).toEqual([
      '2030-01-02 LOW 2',
      '2030-01-02 HIGH 0',
      '2030-01-03 LOW 2',
      '2030-01-03 HIGH 0',
    ]);
    expect(table(await trend.read('a', { days: 1, severities: ['HIGH'], kinds: ['scanner', 'benchmark'], now: DAY3 }))).toEqual(['2030-01-03 HIGH 3']);
    // Team scoping: each team reads its own rows; a team without findings reads zeros.
    expect(table(await trend.read('b', { days: 3, severities: ['LOW', 'HIGH'], now: DAY3 }))).toEqual([
      '2030-01-01 LOW 1',
      '2030-01-01 HIGH 0',
      '2030-01-02 LOW 1',
      '2030-01-02 HIGH 0',
      '2030-01-03 LOW 1',
      '2030-01-03 HIGH 0',
    ]);
    expect(table(await trend.read('nobody', { days: 1, severities: ['LOW'], now: DAY3 }))).toEqual(['2030-01-03 LOW 0']);
    await expect(trend.read('a', { days: 0, severities: ['LOW'] })).rejects.toThrow(/days must be an integer from 1 to 366, not 0/);
    await expect(trend.read('a', { days: 367, severities: ['LOW'] })).rejects.toThrow(/not 367/);
  });

  it('agrees with count(*) at every fold while findings churn', async () => {
    const trend = new FindingTrend(db.dataSource);
    const severities: Severity[] = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFO', 'UNKNOWN'];
    for (let round = 0; round < 6; round++) {
      await write('churn', Array.from({ length: 30 }, (_, i) => finding('churn', (round * 11 + i) % 50, severities[(round + i) % severities.length] as Severity)));
      await db.dataSource.query(`UPDATE finding SET status = 'RESOLVED', resolved_at = now() WHERE team = 'churn' AND status = 'OPEN' AND (hashtext(fingerprint) + $1) % 4 = 0`, [round]);
      if (round % 2 === 1) await db.dataSource.query(`DELETE FROM finding WHERE team = 'churn' AND fingerprint = $1`, [`churn-${round}`]);
      await foldFindingCounts(db.dataSource, { now: DAY3 });
      const truth = await openNow('churn');
      const points = await trend.read('churn', { days: 1, severities, now: DAY3 });
      expect({ round, points }).toEqual({ round, points: severities.map((severity) => ({ day: '2030-01-03', severity, open: truth[severity] ?? 0 })) });
    }
  });

  it('reads only the trend tables, never the findings (EXPLAIN)', async () => {
    const trend = new FindingTrend(db.dataSource);
    const spy = jest.spyOn(db.dataSource, 'query');
    let seen: [string, unknown[] | undefined][];
    try {
      await trend.read('a', { days: 366, severities: ['CRITICAL', 'HIGH'], kinds: ['scanner'], now: DAY3 });
      seen = spy.mock.calls.map(([sql, params]) => [String(sql), params as unknown[] | undefined]);
    } finally {
      spy.mockRestore();
    }
    expect(seen.length).toBeGreaterThan(0);
    const relations = new Set<string>();
    const walk = (node: Record<string, unknown>) => {
      if (typeof node['Relation Name'] === 'string') relations.add(node['Relation Name']);
      for (const child of (node['Plans'] as Record<string, unknown>[] | undefined) ?? []) walk(child);
    };
    for (const [sql, params] of seen) {
      const [row] = (await db.dataSource.query(`EXPLAIN (FORMAT JSON) ${sql}`, params)) as { 'QUERY PLAN': { Plan: Record<string, unknown> }[] }[];
      const plan = row?.['QUERY PLAN'][0]?.Plan;
      expect(plan).toBeDefined();
      if (plan) walk(plan);
    }
    expect([...relations].sort()).toEqual(['finding_open_daily', 'finding_open_daily_since']);
  });

  it('prunes days older than the kept ones once, keeping carried values right', async () => {
    const trend = new FindingTrend(db.dataSource);
    const later = new Date(DAY3.getTime() + 500 * 86_400_000);
    const before = await trend.read('a', { days: 1, severities: SEVERITIES, now: later });
    await foldFindingCounts(db.dataSource, { now: later, keepTrendDays: 400 });
    const cut = utcDay(new Date(later.getTime() - 399 * 86_400_000));
    expect(await db.dataSource.query(`SELECT day::text AS day FROM finding_open_daily_since`)).toEqual([{ day: cut }]);
    expect(await db.dataSource.query(`SELECT 1 FROM finding_open_daily WHERE day < $1::date`, [cut])).toEqual([]);
    // Keys whose value at the cut is 0 keep no row (absent already means 0).
    expect(await db.dataSource.query(`SELECT 1 FROM finding_open_daily WHERE day = $1::date AND open = 0`, [cut])).toEqual([]);
    expect(await trend.read('a', { days: 1, severities: SEVERITIES, now: later })).toEqual(before);
    const window = await trend.read('a', { days: 366, severities: ['HIGH'], now: later });
    expect(window).toHaveLength(366);
    expect(window[0]).toEqual({ day: utcDay(new Date(later.getTime() - 365 * 86_400_000)), severity: 'HIGH', open: 3 });
    // Asking for more than is kept starts at the cut.
    await db.dataSource.query(`UPDATE finding_open_daily_since SET day = $1::date`, [utcDay(new Date(later.getTime() - 10 * 86_400_000))]);
    expect(await trend.read('a', { days: 366, severities: ['HIGH'], now: later })).toHaveLength(11);
  });

  it('zeroes today on TRUNCATE and backfills today (only) from the counters at migration', async () => {
    const schema = `${db.schema}_backfill`;
    const index = migrations.findIndex((m) => m.name === 'FindingOpenDaily1766000000100');
    const before = new DataSource({ ...dataSourceOptions({ url: db.url, schema, poolSize: 2 }), migrations: migrations.slice(0, index) });
    await before.initialize();
    try {
      await before.query(`CREATE SCHEMA "${schema}"`);
      await before.runMigrations({ transaction: 'each' });
      await upsertFindings(before, [finding('old', 1, 'LOW'), finding('old', 2, 'LOW'), finding('old', 3, 'HIGH')], { onConflict: 'refresh', team: 'legacy' });
      await before.query(`UPDATE finding SET status = 'RESOLVED', resolved_at = now() WHERE fingerprint = 'old-2'`);
      const after = new DataSource({ ...dataSourceOptions({ url: db.url, schema, poolSize: 2 }) });
      await after.initialize();
      try {
        expect((await after.runMigrations({ transaction: 'each' })).map((m) => m.name)).toContain('FindingOpenDaily1766000000100');
        const trend = new FindingTrend(after);
        const today = utcDay(new Date());
        // Unfolded deltas counted; no day before the migration.
        expect(await trend.read('legacy', { days: 30, severities: ['HIGH', 'LOW'] })).toEqual([
          { day: today, severity: 'HIGH', open: 1 },
          { day: today, severity: 'LOW', open: 1 },
        ]);
        await after.query('TRUNCATE finding CASCADE');
        expect(await trend.read('legacy', { days: 30, severities: ['HIGH', 'LOW'] })).toEqual([
          { day: today, severity: 'HIGH', open: 0 },
          { day: today, severity: 'LOW', open: 0 },
        ]);
      } finally {
        await after.destroy();
      }
    } finally {
      await before.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
      await before.destroy();
    }
  });
});
