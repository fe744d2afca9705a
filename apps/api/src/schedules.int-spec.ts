import { graphql, graphqlData, startTestPlatform, type TestPlatform } from '@bulkhead/api/testing';
import { builtinPluginPackages, registryOf } from '@bulkhead/builtin-plugins';
import { createRedis, deleteKeysWithPrefix } from '@bulkhead/queue';
import { Queue } from 'bullmq';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

/*
 * Schedules end to end: a real API and worker, the real benchmark plugin (Pod Security
 * Standards over manifests) fired every second by BullMQ's job scheduler, the finding
 * lifecycle counting what changed between runs; Redis's schedulers flushed and re-created from
 * Postgres by the reconciler; bad input, team scoping and roles.
 */

const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const SCHEDULE_QUEUE = 'bulkhead.schedules';

const pod = (privileged: boolean) => `apiVersion: v1
kind: Pod
metadata:
  name: priv
  namespace: shop
spec:
  containers:
    - name: app
      image: nginx:1.25
      securityContext:
        privileged: ${privileged}
`;

interface Schedule {
  id: string;
  cron: string;
  timezone: string;
  paused: boolean;
  nextRunAt: string | null;
  lastRunAt: string | null;
  lastTaskId: string | null;
  lastError: string | null;
  lastChanges: { since: string; until: string; newFindings: number; resolvedFindings: number } | null;
  runCount: number;
  createdAt: string;
}

const SCHEDULE = 'id cron timezone paused nextRunAt lastRunAt lastTaskId lastError lastChanges { since until newFindings resolvedFindings } runCount createdAt';
const CREATE = `mutation($input: JSON!, $cron: String!, $tz: String) { createSchedule(kind: BENCHMARK, type: "k8s-manifests", input: $input, cron: $cron, timezone: $tz) { ${SCHEDULE} } }`;

const codes = (result: { errors?: readonly { extensions?: { code?: unknown } }[] }) => (result.errors ?? []).map((e) => e.extensions?.code);

describe('schedules', () => {
  let platform: TestPlatform;
  let url: string;
  let manifests: string;
  let queue: Queue;
  const redis = createRedis(REDIS_URL, 'producer');

  beforeAll(async () => {
    manifests = await mkdtemp(path.join(tmpdir(), 'bh-schedules-'));
    await writeFile(path.join(manifests, 'priv.yaml'), pod(true));
    const plugins = builtinPluginPackages().filter((pkg) => pkg.plugin.manifest.kind === 'benchmark');
    platform = await startTestPlatform({ label: 'api_schedules', registry: registryOf(plugins), plugins, kinds: ['benchmark'], env: { BULKHEAD_SCHEDULE_RECONCILE_SECONDS: '1' } });
    url = platform.api.url;
    queue = new Queue(SCHEDULE_QUEUE, { connection: redis, prefix: platform.db.schema });
  });

  afterAll(async () => {
    await queue?.close();
    await platform?.stop();
    redis.disconnect();
    await rm(manifests, { recursive: true, force: true });
  });

  const input = () => ({ paths: [manifests], checks: ['pss'] });
  const create = async (cron: string, tz?: string) => (await graphqlData<{ createSchedule: Schedule }>(url, CREATE, { input: input(), cron, tz })).createSchedule;
  const get = async (id: string) => (await graphqlData<{ schedule: Schedule | null }>(url, `query($id: ID!) { schedule(id: $id) { ${SCHEDULE} } }`, { id })).schedule;
  const mutate = async (name: string, id: string) => (await graphqlData<Record<string, Schedule>>(url, `mutation($id: ID!) { ${name}(id: $id) { ${SCHEDULE} } }`, { id }))[name]!;

  async function until(id: string, what: string, done: (s: Schedule) => boolean, timeoutMs = 45_000): Promise<Schedule> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const schedule = await get(id);
      if (schedule && done(schedule)) return schedule;
      if (Date.now() > deadline) throw new Error(`schedule ${id}: timed out waiting for ${what}: ${JSON.stringify(schedule)}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  async function taskStatus(id: string): Promise<string> {
    const { task } = await graphqlData<{ task: { status: string } }>(url, 'query($id: ID!) { task(id: $id) { status } }', { id });
    return task.status;
  }

  const schedulerIds = async () => (await queue.getJobSchedulers(0, -1)).map((s) => s.key).sort();

  it('fires a short cron on time, submits labelled tasks, and records the new and resolved findings between runs', async () => {
    const created = await create('* * * * * *');
    expect(created).toMatchObject({ cron: '* * * * * *', timezone: 'UTC', paused: false, runCount: 0, lastRunAt: null });
    const next = Date.parse(created.nextRunAt!);
    expect(next - Date.now()).toBeLessThanOrEqual(1_000);

    // On time: the first firing is the next whole second after creation (BullMQ's delay), give or take processing.
    const first = await until(created.id, 'the first run', (s) => s.runCount >= 1);
    expect(first.lastError).toBeNull();
    expect(first.lastChanges).toBeNull();
    expect(Date.parse(first.lastRunAt!) - next).toBeGreaterThanOrEqual(-50);
    expect(Date.parse(first.lastRunAt!) - next).toBeLessThan(3_000);

    // The task is a normal task labelled with the schedule.
    const { tasks } = await graphqlData<{ tasks: { totalCount: number; edges: { node: { id: string; labels: Record<string, string> } }[] } }>(
      url,
      'query($labels: JSON) { tasks(filter: { labels: $labels }) { totalCount edges { node { id labels } } } }',
      { labels: { 'bulkhead.io/schedule': created.id } },
    );
    expect(tasks.edges.map((e) => e.node.id)).toContain(first.lastTaskId);
    expect(tasks.edges[0]!.node.labels).toEqual({ 'bulkhead.io/schedule': created.id });

    // The next run after the first task finished counts the findings it raised as new.
    const raised = await until(created.id, 'a run counting new findings', (s) => (s.lastChanges?.newFindings ?? 0) > 0);
    expect(raised.lastChanges!.resolvedFindings).toBe(0);
    expect(Date.parse(raised.lastChanges!.since)).toBeLessThan(Date.parse(raised.lastChanges!.until));

    // Fixed: a later run resolves the privileged finding, and the run after it records it.
    await writeFile(path.join(manifests, 'priv.yaml'), pod(false));
    const resolved = await until(created.id, 'a run counting a resolved finding', (s) => (s.lastChanges?.resolvedFindings ?? 0) > 0);
    expect(resolved.lastChanges!.resolvedFindings).toBeGreaterThanOrEqual(1);

    const paused = await mutate('pauseSchedule', created.id);
    expect(paused).toMatchObject({ paused: true, nextRunAt: null });
    expect(await schedulerIds()).not.toContain(created.id);
    // Let a firing already in flight land, then nothing more.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const settled = (await get(created.id))!;
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect((await get(created.id))!.runCount).toBe(settled.runCount);
    const last = settled.lastTaskId!;
    const deadline = Date.now() + 30_000;
    while (!['SUCCEEDED', 'FAILED'].includes(await taskStatus(last)) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await taskStatus(last)).toBe('SUCCEEDED');
    await graphqlData(url, 'mutation($id: ID!) { deleteSchedule(id: $id) }', { id: created.id });
  }, 120_000);

  it('re-creates the job schedulers from Postgres after Redis lost them; paused ones stay off', async () => {
    const active = await create('*/2 * * * * *', 'Europe/Paris');
    const paused = await create('0 3 * * *');
    await mutate('pauseSchedule', paused.id);
    expect(await schedulerIds()).toContain(active.id);
    expect(await schedulerIds()).not.toContain(paused.id);

    await deleteKeysWithPrefix(redis, `${platform.db.schema}:${SCHEDULE_QUEUE}`);
    expect(await schedulerIds()).not.toContain(active.id);
    const before = (await get(active.id))!.runCount;

    // BULKHEAD_SCHEDULE_RECONCILE_SECONDS=1: the reconciler puts it back, and it fires again.
    const deadline = Date.now() + 15_000;
    while (!(await schedulerIds()).includes(active.id) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 200));
    const schedulers = await queue.getJobSchedulers(0, -1);
    expect(schedulers.find((s) => s.key === active.id)).toMatchObject({ pattern: '*/2 * * * * *', tz: 'Europe/Paris' });
    expect(schedulers.find((s) => s.key === paused.id)).toBeUndefined();
    await until(active.id, 'a firing after the flush', (s) => s.runCount > before, 20_000);

    // Resumed: back in Redis; edited: the new pattern replaces the old one.
    await mutate('resumeSchedule', paused.id);
    expect(await schedulerIds()).toContain(paused.id);
    const { updateSchedule } = await graphqlData<{ updateSchedule: Schedule }>(url, `mutation($id: ID!) { updateSchedule(id: $id, cron: "30 4 * * 1") { ${SCHEDULE} } }`, { id: paused.id });
    expect(updateSchedule).toMatchObject({ cron: '30 4 * * 1', timezone: 'UTC' });
    expect((await queue.getJobSchedulers(0, -1)).find((s) => s.key === paused.id)?.pattern).toBe('30 4 * * 1');

    for (const id of [active.id, paused.id]) {
      const { deleteSchedule } = await graphqlData<{ deleteSchedule: boolean }>(url, 'mutation($id: ID!) { deleteSchedule(id: $id) }', { id });
      expect(deleteSchedule).toBe(true);
      expect(await get(id)).toBeNull();
    }
    expect(await schedulerIds()).toEqual([]);
  }, 60_000);

  it('refuses a bad cron, time zone or input with BAD_USER_INPUT naming it, and stores nothing', async () => {
    const bad = async (variables: Record<string, unknown>) => graphql(url, CREATE, { input: input(), tz: null, ...variables });
    const cron = await bad({ cron: '61 * * * *' });
    expect(codes(cron)).toEqual(['BAD_USER_INPUT']);
    expect(cron.errors![0]!.message).toMatch(/^cron: "61 \* \* \* \*" is not a valid pattern/);
    const fields = await bad({ cron: 'every day' });
    expect(fields.errors![0]!.message).toMatch(/cron: "every day" has 2 fields/);
    const tz = await bad({ cron: '0 3 * * *', tz: 'Mars/Olympus' });
    expect(codes(tz)).toEqual(['BAD_USER_INPUT']);
    expect(tz.errors![0]!.message).toMatch(/timezone: "Mars\/Olympus"/);
    const badInput = await graphql(url, CREATE, { input: { paths: 'not-a-list' }, cron: '0 3 * * *' });
    expect(codes(badInput)).toEqual(['BAD_USER_INPUT']);
    expect(badInput.errors![0]!.message).toMatch(/paths/);
    const edit = await graphql(url, 'mutation { updateSchedule(id: "00000000-0000-4000-8000-000000000000", cron: "0 3 * * *") { id } }');
    expect(codes(edit)).toEqual(['NOT_FOUND']);
    const { schedules } = await graphqlData<{ schedules: Schedule[] }>(url, `{ schedules { id } }`);
    expect(schedules).toEqual([]);
  });

  it('scopes schedules to the team and lets only operators and admins change them', async () => {
    const mine = await create('0 3 * * *');
    const viewer = (await platform.createToken('viewer')).secret;
    const operator = (await platform.createToken('operator')).secret;
    const otherTeam = (await platform.createToken('admin', 'other')).secret;

    const { schedules: seen } = await graphqlData<{ schedules: { id: string }[] }>(url, '{ schedules { id } }', {}, { token: viewer });
    expect(seen.map((s) => s.id)).toEqual([mine.id]);
    const forbidden = await graphql(url, CREATE, { input: input(), cron: '0 3 * * *' }, { token: viewer });
    expect(codes(forbidden)).toEqual(['FORBIDDEN']);
    const viewerPause = await graphql(url, 'mutation($id: ID!) { pauseSchedule(id: $id) { id } }', { id: mine.id }, { token: viewer });
    expect(codes(viewerPause)).toEqual(['FORBIDDEN']);
    const byOperator = await graphqlData<{ pauseSchedule: { paused: boolean } }>(url, 'mutation($id: ID!) { pauseSchedule(id: $id) { paused } }', { id: mine.id }, { token: operator });
    expect(byOperator.pauseSchedule.paused).toBe(true);

    const { schedules: theirs } = await graphqlData<{ schedules: { id: string }[] }>(url, '{ schedules { id } }', {}, { token: otherTeam });
    expect(theirs).toEqual([]);
    const other = await graphqlData<{ schedule: unknown }>(url, 'query($id: ID!) { schedule(id: $id) { id } }', { id: mine.id }, { token: otherTeam });
    expect(other.schedule).toBeNull();
    for (const name of ['resumeSchedule', 'deleteSchedule']) {
      const selection = name === 'deleteSchedule' ? '' : '{ id }';
      const result = await graphql(url, `mutation($id: ID!) { ${name}(id: $id) ${selection} }`, { id: mine.id }, { token: otherTeam });
      expect({ name, codes: codes(result) }).toEqual({ name, codes: ['NOT_FOUND'] });
    }
    expect((await get(mine.id))!.paused).toBe(true);
  });
});
