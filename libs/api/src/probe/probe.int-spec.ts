import { TaskStatus } from '@bulkhead/persistence';
import { PluginRegistry } from '@bulkhead/plugin-sdk';
import { PROBE_LABEL, PROBE_TASK } from '@bulkhead/queue';
import { graphql, graphqlData } from '../testing/graphql-http';
import { startTestPlatform, type TestPlatform } from '../testing/platform';
import { READYZ_PROBE_TEAM } from '../health/deep-readiness.service';

/*
 * The canary over a real API and worker (Postgres, Redis): probeTask reports each hop of a
 * SUCCEEDED task; /readyz?deep=1 runs one in a team no token has, at most once per period
 * however many requests come; bad arguments are refused, naming them.
 */

jest.setTimeout(60_000);

interface Probe {
  label: string;
  status: string;
  succeeded: boolean;
  totalMs: number;
  hops: { name: string; ms: number }[];
  error: string | null;
  task: { id: string; status: string; labels: Record<string, string>; attempts: number };
}

const PROBE = 'mutation($l: String!, $t: Int) { probeTask(label: $l, timeoutMs: $t) { label status succeeded totalMs hops { name ms } error task { id status labels attempts } } }';

let platform: TestPlatform;

beforeAll(async () => {
  platform = await startTestPlatform({ label: 'api_probe', registry: new PluginRegistry(), kinds: [PROBE_TASK.kind] });
});

afterAll(async () => {
  await platform?.stop();
});

const teamTasks = async (team: string): Promise<number> =>
  Number((await platform.db.dataSource.query<{ n: string }[]>(`SELECT count(*) AS n FROM task WHERE team = $1 AND type = $2`, [team, PROBE_TASK.type]))[0]?.n);

describe('probeTask', () => {
  it('runs a canary task to SUCCEEDED once and reports every hop in path order', async () => {
    const { probeTask } = await graphqlData<{ probeTask: Probe }>(platform.api.url, PROBE, { l: 'monitor-1' });
    expect(probeTask).toMatchObject({ label: 'monitor-1', status: 'SUCCEEDED', succeeded: true, error: null });
    expect(probeTask.task).toMatchObject({ status: TaskStatus.SUCCEEDED, attempts: 1, labels: { [PROBE_LABEL]: 'monitor-1' } });
    expect(probeTask.hops.map((h) => h.name)).toEqual(['submit', 'subscribe', 'enqueue', 'pickup', 'finish', 'notify']);
    for (const hop of probeTask.hops) expect(hop.ms).toBeGreaterThan(-1_000); // same host: no skew beyond noise
    expect(probeTask.totalMs).toBeGreaterThanOrEqual(Math.max(...probeTask.hops.map((h) => h.ms)));
  });

  it.each([
    [{ l: '' }, /label: label must not be empty/],
    [{ l: 'a b' }, /label: label may hold only letters/],
    [{ l: 'x'.repeat(64) }, /label: label is at most 63 characters/],
    [{ l: 'ok', t: 0 }, /timeoutMs: 0 is not a whole number of milliseconds from 1 to 60000/],
    [{ l: 'ok', t: 600_000 }, /timeoutMs: 600000 is not/],
  ])('refuses %j, naming the argument, and queues nothing', async (variables, message) => {
    const before = await teamTasks('default');
    const { errors } = await graphql(platform.api.url, PROBE, variables);
    expect(errors?.[0]).toMatchObject({ message: expect.stringMatching(message), extensions: { code: 'BAD_USER_INPUT' } });
    expect(await teamTasks('default')).toBe(before);
  });

  it('needs an operator token', async () => {
    const viewer = await platform.createToken('viewer');
    const { errors } = await graphql(platform.api.url, PROBE, { l: 'viewer' }, { token: viewer.secret });
    expect(errors?.[0]?.extensions?.['code']).toBe('FORBIDDEN');
  });
});

describe('/readyz?deep=1', () => {
  it('runs the canary in a team no token has, once per period however many ask', async () => {
    const answers = await Promise.all(Array.from({ length: 20 }, () => fetch(`${platform.api.url}/readyz?deep=1`)));
    const bodies = (await Promise.all(answers.map((a) => a.json()))) as { status: string; checks: Record<string, string>; probe?: { status: string; hops: unknown[] } }[];
    expect(answers.map((a) => a.status)).toEqual(Array(20).fill(200));
    for (const body of bodies) expect(body).toMatchObject({ status: 'ok', checks: { postgres: 'ok', redis: 'ok', task: 'ok' }, probe: { status: 'SUCCEEDED' } });
    expect(await teamTasks(READYZ_PROBE_TEAM)).toBe(1);
    // Not a task of any token's team: the default team's list does not show it.
    const { tasks } = await graphqlData<{ tasks: { edges: { node: { labels: Record<string, string> } }[] } }>(platform.api.url, 'query { tasks(first: 500) { edges { node { labels } } } }');
    expect(tasks.edges.filter((e) => e.node.labels[PROBE_LABEL] === 'readyz')).toEqual([]);
  });

  it('is not run without deep=1', async () => {
    const body = (await (await fetch(`${platform.api.url}/readyz`)).json()) as { checks: Record<string, string> };
    expect(Object.keys(body.checks).sort()).toEqual(['postgres', 'redis']);
  });
});
