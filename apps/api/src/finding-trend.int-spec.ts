import { graphql, graphqlData, startTestPlatform, type TestPlatform } from '@bulkhead/api/testing';
import { builtinPluginPackages, registryOf } from '@bulkhead/builtin-plugins';
import { foldFindingCounts, utcDay } from '@bulkhead/persistence';

/*
 * findingTrend on the real API over real Postgres: yesterday's row as the folder froze it
 * (written here explicitly: the API's folder runs on the real clock), today's as the API's own
 * folder records it from findings written now, equal to findingCounts; days before the trend
 * began are left out; team-scoped; bad input named; the statements read only the trend tables.
 */

interface Point {
  day: string;
  severity: string;
  open: number;
}

const TREND = /\."finding_open_daily/;
const FINDING_TABLE_IN_PLAN = /\bon (\w+\.)?finding\b/;

describe('finding trend (API)', () => {
  let platform: TestPlatform;
  let url: string;
  const today = utcDay(new Date());
  const yesterday = utcDay(new Date(Date.now() - 86_400_000));

  /** Folds now (the API's folder may hold the lock: then waits until it has folded every delta). */
  const folded = async () => {
    const ds = platform.db.dataSource;
    await foldFindingCounts(ds);
    for (let i = 0; (await ds.query('SELECT count(*)::int AS n FROM finding_count_delta'))[0].n > 0; i++) {
      if (i > 100) throw new Error('the finding counts were not folded in 10 s');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };

  beforeAll(async () => {
    const packages = builtinPluginPackages();
    platform = await startTestPlatform({ label: 'finding_trend', registry: registryOf(packages), plugins: packages, kinds: ['scanner'] });
    url = platform.api.url;
    const ds = platform.db.dataSource;
    await ds.query(`UPDATE finding_open_daily_since SET day = $1::date`, [yesterday]);
    await ds.query(
      `INSERT INTO finding_open_daily (team, kind, severity, day, open) VALUES
         ('default', 'scanner', 'HIGH', $1::date, 4), ('default', 'scanner', 'CRITICAL', $1::date, 1), ('default', 'runtime', 'HIGH', $1::date, 2), ('red', 'scanner', 'LOW', $1::date, 7)`,
      [yesterday],
    );
    // Today: what was open at yesterday's end is stored; then two runtime alerts are resolved.
    await ds.query(
      `INSERT INTO finding (team, kind, severity, rule_id, title, target, fingerprint, status, producer, scope)
       SELECT team, kind, severity, 'R', 'R', 'sha256:t', team || kind || severity || i, 'OPEN', 'p', 's'
         FROM (VALUES ('default', 'scanner', 'HIGH', 3), ('default', 'scanner', 'CRITICAL', 1), ('default', 'runtime', 'HIGH', 2),
                      ('default', 'scanner', 'MEDIUM', 2), ('red', 'scanner', 'LOW', 1)) AS v(team, kind, severity, n),
              generate_series(1, v.n) AS i`,
    );
    await folded();
    await ds.query(`UPDATE finding SET status = 'RESOLVED', resolved_at = now() WHERE kind = 'runtime'`);
    await folded();
  }, 120_000);

  afterAll(async () => {
    await platform?.stop();
  });

  const trend = async (args: string, token?: string): Promise<Point[]> =>
    (await graphqlData<{ findingTrend: Point[] }>(url, `{ findingTrend${args ? `(${args})` : ''} { day severity open } }`, {}, token ? { token } : {})).findingTrend;

  it('gives yesterday as frozen and today as now, per severity, from the day the trend began', async () => {
    const points = await trend('');
    // 30 days asked, 2 known: the days before the trend began are left out, not made up.
    expect(points.map((p) => `${p.day} ${p.severity} ${p.open}`)).toEqual([
      `${yesterday} CRITICAL 1`,
      `${yesterday} HIGH 6`,
      `${yesterday} MEDIUM 0`,
      `${yesterday} LOW 0`,
      `${yesterday} INFO 0`,
      `${yesterday} UNKNOWN 0`,
      `${today} CRITICAL 1`,
      `${today} HIGH 3`,
      `${today} MEDIUM 2`,
      `${today} LOW 0`,
      `${today} INFO 0`,
      `${today} UNKNOWN 0`,
    ]);
    // Today equals the exact counters.
    const counts = await graphqlData<{ findingCounts: { edges: { node: { key: string; count: number } }[] } }>(url, '{ findingCounts(groupBy: SEVERITY, filter: { status: OPEN }) { edges { node { key count } } } }');
    expect(Object.fromEntries(points.filter((p) => p.day === today && p.open > 0).map((p) => [p.severity, p.open]))).toEqual(
      Object.fromEntries(counts.findingCounts.edges.map((e) => [e.node.key, e.node.count])),
    );
    expect(await trend('days: 1, filter: { kinds: [RUNTIME], severities: [HIGH, CRITICAL] }')).toEqual([
      { day: today, severity: 'HIGH', open: 0 },
      { day: today, severity: 'CRITICAL', open: 0 },
    ]);
    expect(await trend('days: 2, filter: { kinds: [RUNTIME], severities: [HIGH] }')).toEqual([
      { day: yesterday, severity: 'HIGH', open: 2 },
      { day: today, severity: 'HIGH', open: 0 },
    ]);
  });

  it('is scoped to the caller\'s team', async () => {
    const red = (await platform.createToken('viewer', 'red')).secret;
    expect(await trend('filter: { severities: [LOW, HIGH] }', red)).toEqual([
      { day: yesterday, severity: 'LOW', open: 7 },
      { day: yesterday, severity: 'HIGH', open: 0 },
      { day: today, severity: 'LOW', open: 1 },
      { day: today, severity: 'HIGH', open: 0 },
    ]);
    const blue = (await platform.createToken('viewer', 'blue')).secret;
    expect((await trend('days: 7', blue)).every((p) => p.open === 0)).toBe(true);
  });

  it('refuses days out of 1..366, naming the argument', async () => {
    for (const days of [0, -1, 367]) {
      const result = await graphql(url, `{ findingTrend(days: ${days}) { day } }`);
      expect(result.errors?.[0]?.message).toMatch(new RegExp(`days: ${days} is out of range \\(1 to 366\\)`));
      expect(result.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
    }
    expect((await trend('days: 366')).length).toBe(12);
  });

  it('reads only the trend tables, never the findings', async () => {
    const spy = jest.spyOn(platform.db.dataSource, 'query');
    let statements: { sql: string; params: unknown[] }[];
    try {
      await trend('days: 366, filter: { kinds: [SCANNER, RUNTIME] }');
      // The request's reads go through dataSource.query alone; the counter folder, which runs every
      // second in the same process, goes through its transaction's query runner (the third argument).
      statements = spy.mock.calls
        .filter(([, , runner]) => runner === undefined)
        .map(([sql, params]) => ({ sql: String(sql), params: (params as unknown[] | undefined) ?? [] }))
        .filter(({ sql }) => TREND.test(sql));
    } finally {
      spy.mockRestore();
    }
    expect(statements.map(({ sql }) => sql.replace(/\s+/g, ' ').slice(0, 60))).toHaveLength(2);
    for (const { sql, params } of statements) {
      const rows: { 'QUERY PLAN': string }[] = await platform.db.dataSource.query(`EXPLAIN ${sql}`, params);
      const plan = rows.map((r) => r['QUERY PLAN']).join('\n');
      expect(plan).not.toMatch(FINDING_TABLE_IN_PLAN);
      expect(plan).toMatch(/finding_open_daily/);
    }
  });
});
