import { graphqlData, startTestPlatform, type TestPlatform } from '@bulkhead/api/testing';
import { builtinPluginPackages, registryOf } from '@bulkhead/builtin-plugins';

/*
 * taskQueueHealth on the real API: QUEUED and RUNNING counts and the oldest of each, for the
 * caller's team only, read from the index of unfinished tasks (the finished ones are not read).
 */

interface Health {
  queued: number;
  running: number;
  oldestQueuedAt: string | null;
  oldestRunningAt: string | null;
}

describe('task queue health (API)', () => {
  let platform: TestPlatform;
  let url: string;

  beforeAll(async () => {
    const packages = builtinPluginPackages();
    platform = await startTestPlatform({ label: 'task_queue_health', registry: registryOf(packages), plugins: packages, kinds: ['scanner'] });
    url = platform.api.url;
  }, 120_000);

  afterAll(async () => {
    await platform?.stop();
  });

  const health = async (token?: string): Promise<Health> =>
    (await graphqlData<{ taskQueueHealth: Health }>(url, '{ taskQueueHealth { queued running oldestQueuedAt oldestRunningAt } }', {}, token ? { token } : {})).taskQueueHealth;

  it('counts the unfinished tasks of the team and dates the oldest of each state', async () => {
    expect(await health()).toEqual({ queued: 0, running: 0, oldestQueuedAt: null, oldestRunningAt: null });
    // Kinds no worker of this platform consumes (benchmark, runtime): the rows stay as written.
    await platform.db.dataSource.query(
      `INSERT INTO task (team, kind, type, input, status, created_at, finished_at) VALUES
         ('default', 'benchmark', 'b', '{}', 'QUEUED', '2030-01-01T10:00:00Z', NULL),
         ('default', 'benchmark', 'b', '{}', 'QUEUED', '2030-01-01T09:00:00Z', NULL),
         ('default', 'runtime', 'r', '{}', 'RUNNING', '2030-01-01T08:00:00Z', NULL),
         ('default', 'benchmark', 'b', '{}', 'FAILED', '2029-01-01T00:00:00Z', '2029-01-01T00:01:00Z'),
         ('red', 'benchmark', 'b', '{}', 'QUEUED', '2020-01-01T00:00:00Z', NULL)`,
    );
    expect(await health()).toEqual({ queued: 2, running: 1, oldestQueuedAt: '2030-01-01T09:00:00.000Z', oldestRunningAt: '2030-01-01T08:00:00.000Z' });
    const red = (await platform.createToken('viewer', 'red')).secret;
    expect(await health(red)).toEqual({ queued: 1, running: 0, oldestQueuedAt: '2020-01-01T00:00:00.000Z', oldestRunningAt: null });
  });

  it('reads the index of unfinished tasks, not the task table', async () => {
    const spy = jest.spyOn(platform.db.dataSource, 'query');
    let statements: { sql: string; params: unknown[] }[];
    try {
      await health();
      statements = spy.mock.calls.map(([sql, params]) => ({ sql: String(sql), params: (params as unknown[] | undefined) ?? [] })).filter(({ sql }) => /finished_at IS NULL/.test(sql));
    } finally {
      spy.mockRestore();
    }
    expect(statements).toHaveLength(1);
    const [statement] = statements;
    const plan = await platform.db.dataSource.transaction(async (manager) => {
      await manager.query('SET LOCAL enable_seqscan = off');
      const rows: { 'QUERY PLAN': string }[] = await manager.query(`EXPLAIN ${statement?.sql}`, statement?.params);
      return rows.map((r) => r['QUERY PLAN']).join('\n');
    });
    expect(plan).toMatch(/IDX_task_unfinished/);
  });
});
