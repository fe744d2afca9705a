import { graphql, graphqlData, startTestPlatform, type TestPlatform } from '@bulkhead/api/testing';
import { builtinPluginPackages, registryOf } from '@bulkhead/builtin-plugins';
import { ResultWriter } from '@bulkhead/persistence';

/*
 * Dashboard queries on the real API over real Postgres: findingCounts per severity, kind, status
 * and image equal a count(*) of the findings (team-scoped, filtered, paged by key, exact right
 * after a suppression through the API, before any fold); findings reads only the columns the
 * client selected and counts only when totalCount is selected; and no query the API offers
 * walks the findings table sequentially (EXPLAIN with sequential scans priced out: a plan that
 * still has one has no index to use).
 */

interface Connection<T> {
  totalCount: number;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  edges: { cursor: string; node: T }[];
}
type Counts = Connection<{ key: string; count: number }>;

const ROWS = 20_000;
/** A statement reading the findings table (not the counters), and one that reads the counters. */
const ON_FINDINGS = /\."finding"|\."finding_count/;
const COUNTERS = /\."finding_count/;
/** The folder's statement (a timer of the API, not the query under test). */
const FOLDER = /DELETE FROM \S+\."finding_count_delta" RETURNING/;
const FINDING_TABLE_IN_PLAN = /\bon (\w+\.)?finding\b/;
const GROUP_FIELD = { SEVERITY: 'severity', KIND: 'kind', STATUS: 'status::text', IMAGE: 'target' } as const;

describe('finding dashboards (API)', () => {
  let platform: TestPlatform;
  let url: string;
  let taskId: string;

  beforeAll(async () => {
    const packages = builtinPluginPackages();
    platform = await startTestPlatform({ label: 'finding_counts', registry: registryOf(packages), plugins: packages, kinds: ['scanner'] });
    url = platform.api.url;
    const ds = platform.db.dataSource;
    // Findings in the shapes plugins store, spread over 200 images, kinds, severities, statuses and 30 days.
    await ds.query(
      `INSERT INTO finding (team, kind, severity, rule_id, title, target, location, data, fingerprint, task_id, first_seen_at, last_seen_at, status, producer, scope)
       SELECT CASE WHEN i % 10 = 0 THEN 'red' ELSE 'default' END,
              CASE WHEN i % 50 = 1 THEN 'runtime' WHEN i % 7 = 2 THEN 'benchmark' ELSE 'scanner' END,
              CASE WHEN i % 97 = 3 THEN 'CRITICAL' WHEN i % 5 = 1 THEN 'HIGH' WHEN i % 3 = 0 THEN 'MEDIUM' WHEN i % 2 = 0 THEN 'LOW' ELSE 'UNKNOWN' END,
              'CVE-' || (i % 900), 'CVE-' || (i % 900), 'sha256:' || lpad(to_hex(i % 200), 64, '0'), 'pkg-' || i,
              jsonb_build_object('n', i), 'fp-' || i, CASE WHEN i % 1000 = 0 THEN '00000000-0000-4000-8000-000000000001'::uuid END,
              now() - (i % 2592000) * interval '1 second', now() - ((i * 7919) % 2592000) * interval '1 second',
              (CASE WHEN i % 89 = 0 THEN 'SUPPRESSED' WHEN i % 4 = 0 THEN 'RESOLVED' ELSE 'OPEN' END)::finding_status, 'scanner/scan-image', 'scope'
         FROM generate_series(1, $1::int) AS i`,
      [ROWS],
    );
    await ds.query('ANALYZE finding');
    taskId = '00000000-0000-4000-8000-000000000001';
  }, 120_000);

  afterAll(async () => {
    await platform?.stop();
  });

  const counts = async (args: string, token?: string): Promise<Counts> =>
    (await graphqlData<{ findingCounts: Counts }>(url, `{ findingCounts(${args}) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { key count } } } }`, {}, token ? { token } : {})).findingCounts;

  /** count(*) over the findings: what every answer must equal. */
  const truth = async (groupBy: keyof typeof GROUP_FIELD, where = 'TRUE', team = 'default'): Promise<{ key: string; count: number }[]> => {
    const field = GROUP_FIELD[groupBy];
    const rows: { key: string; n: number }[] = await platform.db.dataSource.query(
      `SELECT ${field} AS key, count(*)::int AS n FROM finding WHERE team = $1 AND ${where} GROUP BY 1 ORDER BY 1`,
      [team],
    );
    return rows.map((row) => ({ key: row.key, count: row.n }));
  };

  it('counts per severity, kind, status and image equal count(*), filtered and within the caller\'s team', async () => {
    for (const groupBy of ['SEVERITY', 'KIND', 'STATUS'] as const) {
      const answer = await counts(`groupBy: ${groupBy}`);
      expect({ groupBy, groups: answer.edges.map((e) => e.node) }).toEqual({ groupBy, groups: await truth(groupBy) });
      expect(answer.totalCount).toBe(answer.edges.length);
    }
    const open = await counts('groupBy: SEVERITY, filter: { status: OPEN, kind: SCANNER }');
    expect(open.edges.map((e) => e.node)).toEqual(await truth('SEVERITY', `status = 'OPEN' AND kind = 'scanner'`));
    const image = `sha256:${'0'.repeat(62)}0b`;
    const ofImage = await counts(`groupBy: STATUS, filter: { target: "${image}", severities: [HIGH, LOW] }`);
    expect(ofImage.edges.map((e) => e.node)).toEqual(await truth('STATUS', `target = '${image}' AND severity IN ('HIGH', 'LOW')`));
    // A task's findings are not kept in counters: counted from the findings, the same answer.
    const ofTask = await counts(`groupBy: SEVERITY, filter: { taskId: "${taskId}" }`);
    expect(ofTask.edges.map((e) => e.node)).toEqual(await truth('SEVERITY', `task_id = '${taskId}'`));
    // Another team sees only its own.
    const red = (await platform.createToken('viewer', 'red')).secret;
    expect((await counts('groupBy: SEVERITY', red)).edges.map((e) => e.node)).toEqual(await truth('SEVERITY', 'TRUE', 'red'));
  });

  it('pages through images by key, with totalCount the number of groups', async () => {
    const all = await truth('IMAGE', `severity = 'CRITICAL'`);
    expect(all.length).toBeGreaterThan(20);
    const seen: { key: string; count: number }[] = [];
    let after: string | null = null;
    let pages = 0;
    do {
      const page: Counts = await counts(`groupBy: IMAGE, filter: { severities: [CRITICAL] }, first: 7${after ? `, after: "${after}"` : ''}`);
      expect(page.totalCount).toBe(all.length);
      seen.push(...page.edges.map((e) => e.node));
      after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
      pages++;
    } while (after);
    expect(seen).toEqual(all);
    expect(pages).toBe(Math.ceil(all.length / 7));
  });

  it('is exact at once after a suppression through the API, folded yet or not', async () => {
    const before = await counts('groupBy: STATUS');
    const [row] = (await platform.db.dataSource.query(`SELECT id FROM finding WHERE team = 'default' AND status = 'OPEN' LIMIT 1`)) as { id: string }[];
    await graphqlData(url, 'mutation($id: ID!) { suppressFinding(id: $id) { status } }', { id: row?.id });
    const after = await counts('groupBy: STATUS');
    const byKey = (c: Counts) => Object.fromEntries(c.edges.map((e) => [e.node.key, e.node.count]));
    expect(byKey(after)).toEqual({ ...byKey(before), OPEN: (byKey(before)['OPEN'] ?? 0) - 1, SUPPRESSED: (byKey(before)['SUPPRESSED'] ?? 0) + 1 });
    expect(after.edges.map((e) => e.node)).toEqual(await truth('STATUS'));
  });

  it('refuses bad input naming it', async () => {
    const bad = await graphql(url, '{ findingCounts(groupBy: SEVERITY, first: 0) { totalCount } }');
    expect(bad.errors?.[0]?.message).toMatch(/first must be an integer between 1 and 500/);
    const cursor = await graphql(url, '{ findingCounts(groupBy: IMAGE, after: "garbage") { totalCount } }');
    expect(cursor.errors?.[0]?.message).toMatch(/invalid cursor/);
    const task = await graphql(url, '{ findingCounts(groupBy: KIND, filter: { taskId: "x" }) { totalCount } }');
    expect(task.errors?.[0]?.message).toMatch(/filter.taskId: "x" is not a task id/);
    expect((await graphql(url, '{ findingCounts(groupBy: RULE) { totalCount } }')).errors?.[0]?.message).toMatch(/RULE/);
  });

  /** The SQL statements (and parameters) the API ran on the findings or their counters while `run` ran. */
  const statementsOf = async (run: () => Promise<unknown>): Promise<{ sql: string; params: unknown[] }[]> => {
    const spy = jest.spyOn(platform.db.dataSource, 'query');
    try {
      await run();
      return spy.mock.calls.map(([sql, params]) => ({ sql: String(sql), params: (params as unknown[] | undefined) ?? [] })).filter(({ sql }) => ON_FINDINGS.test(sql) && !FOLDER.test(sql));
    } finally {
      spy.mockRestore();
    }
  };

  it('findings reads only the selected columns, and counts only when totalCount is selected (from the counters)', async () => {
    const plain = (await statementsOf(() => graphqlData(url, '{ findings(first: 5, filter: { severities: [HIGH] }) { edges { node { id severity ...F } } } } fragment F on Finding { title }'))).map((s) => s.sql);
    expect(plain).toHaveLength(1);
    expect(plain[0]).toMatch(/"severity"/);
    expect(plain[0]).toMatch(/"title"/);
    expect(plain[0]).not.toMatch(/"data"|"location"|"rule_id"/);
    const counted = (await statementsOf(() => graphqlData(url, '{ findings(first: 5, filter: { status: RESOLVED }) { totalCount edges { node { data reopened } } } }'))).map((s) => s.sql);
    expect(counted).toHaveLength(2);
    expect(counted.find((sql) => /"data"/.test(sql))).toMatch(/"reopened_at"/);
    expect(counted.some((sql) => /\."finding_count_team"/.test(sql))).toBe(true);
    const { findings } = await graphqlData<{ findings: { totalCount: number; edges: { node: { reopened: boolean; data: { n: number } } }[] } }>(
      url,
      '{ findings(first: 5, filter: { status: RESOLVED }) { totalCount edges { node { data reopened } } } }',
    );
    expect(findings.totalCount).toBe((await truth('STATUS', `status = 'RESOLVED'`))[0]?.count);
    expect(findings.edges[0]?.node).toEqual({ reopened: false, data: { n: expect.any(Number) } });
  });

  it('resolves the images of a page of findings or groups with one statement (DataLoader)', async () => {
    const writer = new ResultWriter(platform.db.dataSource, null, undefined, { team: 'default' });
    const { findings } = await graphqlData<{ findings: Connection<{ target: string }> }>(url, '{ findings(first: 100) { edges { node { target } } } }');
    const targets = [...new Set(findings.edges.map((e) => e.node.target))];
    expect(targets.length).toBeGreaterThan(10);
    for (const target of targets.slice(0, 3)) await writer.artifact({ digest: target, references: [`oci:/images/${target.slice(-4)}`], size: 1, layers: [] });
    // Every statement TypeORM runs passes its logger (ImageStore reads through the query builder).
    const logged = jest.spyOn(platform.db.dataSource.logger, 'logQuery');
    let page: { findings: Connection<{ target: string; image: { digest: string; references: string[] } | null }> } | undefined;
    try {
      page = await graphqlData(url, '{ findings(first: 100) { edges { node { image { digest references } } } } }');
      expect(logged.mock.calls.map(([sql]) => sql).filter((sql) => /\."artifact"/.test(sql))).toHaveLength(1);
    } finally {
      logged.mockRestore();
    }
    const withImage = page?.findings.edges.filter((e) => e.node.image) ?? [];
    expect(new Set(withImage.map((e) => e.node.image?.digest))).toEqual(new Set(targets.slice(0, 3)));
    expect(withImage[0]?.node.image?.references[0]).toMatch(/^oci:\/images\//);
    const groups = await graphqlData<{ findingCounts: Connection<{ key: string; image: { digest: string } | null }> }>(url, '{ findingCounts(groupBy: IMAGE, first: 200) { edges { node { key image { digest } } } } }');
    expect(groups.findingCounts.edges.filter((e) => e.node.image).map((e) => e.node.key).sort()).toEqual(targets.slice(0, 3).sort());
    const bySeverity = await graphqlData<{ findingCounts: Connection<{ image: unknown }> }>(url, '{ findingCounts(groupBy: SEVERITY) { edges { node { image { digest } } } } }');
    expect(bySeverity.findingCounts.edges.every((e) => e.node.image === null)).toBe(true);
  });

  it('no query the API offers scans the findings table sequentially', async () => {
    const first = await graphqlData<{ findings: Connection<unknown> }>(url, '{ findings(first: 50) { pageInfo { endCursor } } }');
    const image = `sha256:${'0'.repeat(62)}2a`;
    const queries = [
      '{ findings(first: 50) { totalCount edges { node { id title } } } }',
      `{ findings(first: 50, after: "${first.findings.pageInfo.endCursor}") { totalCount edges { node { id } } } }`,
      '{ findings(first: 50, filter: { severities: [CRITICAL] }) { totalCount edges { node { id } } } }',
      '{ findings(first: 50, filter: { severities: [MEDIUM, LOW] }) { totalCount edges { node { id } } } }',
      '{ findings(first: 50, filter: { status: SUPPRESSED }) { totalCount edges { node { id } } } }',
      '{ findings(first: 50, filter: { kind: RUNTIME }) { totalCount edges { node { id } } } }',
      `{ findings(first: 50, filter: { target: "${image}" }) { totalCount edges { node { id } } } }`,
      `{ findings(first: 50, filter: { taskId: "${taskId}" }) { totalCount edges { node { id } } } }`,
      '{ findingCounts(groupBy: SEVERITY) { totalCount edges { node { key count } } } }',
      '{ findingCounts(groupBy: IMAGE, filter: { severities: [CRITICAL], status: OPEN }) { totalCount edges { node { key count } } } }',
      `{ findingCounts(groupBy: STATUS, filter: { taskId: "${taskId}" }) { totalCount edges { node { key count } } } }`,
    ];
    const ds = platform.db.dataSource;
    for (const query of queries) {
      const statements = await statementsOf(() => graphqlData(url, query));
      expect({ query, statements: statements.length }).not.toEqual({ query, statements: 0 });
      for (const { sql, params } of statements) {
        const plan = await ds.transaction(async (manager) => {
          await manager.query('SET LOCAL enable_seqscan = off');
          const rows: { 'QUERY PLAN': string }[] = await manager.query(`EXPLAIN ${sql}`, params);
          return rows.map((r) => r['QUERY PLAN']).join('\n');
        });
        expect({ query, plan }).not.toEqual({ query, plan: expect.stringMatching(/Seq Scan on (\w+\.)?finding\b/) });
        if (/status: SUPPRESSED/.test(query) && !COUNTERS.test(sql)) expect(plan).toMatch(/IDX_finding_team_status_last_seen_at_id/);
        // What the counters answer does not read a single finding.
        if (COUNTERS.test(sql)) expect({ query, plan }).not.toEqual({ query, plan: expect.stringMatching(FINDING_TABLE_IN_PLAN) });
      }
    }
  });
});
