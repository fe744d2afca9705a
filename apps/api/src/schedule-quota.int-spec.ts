import { graphql, graphqlData, startTestPlatform, type TestPlatform } from '@bulkhead/api/testing';
import { builtinPluginPackages, registryOf } from '@bulkhead/builtin-plugins';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

/*
 * Scheduled firings count against the task quota of the token that created or last edited the
 * schedule (BULKHEAD_MAX_QUEUED_TASKS_PER_TOKEN), on a real API and Redis. No worker serves the
 * benchmark queue here, so submitted tasks stay QUEUED and hold their token's places.
 */
jest.setTimeout(90_000);

interface ScheduleView { id: string; runCount: number; lastTaskId: string | null; lastError: string | null }
const FIELDS = 'id runCount lastTaskId lastError';
const SUBMIT = 'mutation($input: JSON!, $labels: JSON) { submitTask(kind: BENCHMARK, type: "k8s-manifests", input: $input, labels: $labels) { id status } }';

describe('schedule firings and the per-token task quota', () => {
  let platform: TestPlatform;
  let url: string;
  let manifests: string;

  beforeAll(async () => {
    manifests = await mkdtemp(path.join(tmpdir(), 'bh-schedule-quota-'));
    await writeFile(path.join(manifests, 'pod.yaml'), 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n    - name: app\n      image: nginx:1.25\n');
    const plugins = builtinPluginPackages().filter((pkg) => ['benchmark', 'scanner'].includes(pkg.plugin.manifest.kind));
    // The worker serves the scanner queue only: benchmark tasks stay QUEUED.
    platform = await startTestPlatform({ label: 'api_schedule_quota', registry: registryOf(plugins), plugins, kinds: ['scanner'], env: { BULKHEAD_MAX_QUEUED_TASKS_PER_TOKEN: '2' } });
    url = platform.api.url;
  });

  afterAll(async () => {
    await platform?.stop();
    await rm(manifests, { recursive: true, force: true });
  });

  const input = () => ({ paths: [manifests], checks: ['pss'] });
  const get = async (id: string, token: string) => (await graphqlData<{ schedule: ScheduleView }>(url, `query($id: ID!) { schedule(id: $id) { ${FIELDS} } }`, { id }, { token })).schedule;

  async function until(id: string, token: string, what: string, done: (s: ScheduleView) => boolean): Promise<ScheduleView> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const schedule = await get(id, token);
      if (done(schedule)) return schedule;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(schedule)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  it("a firing over the editing token's quota is recorded on the schedule; the editor's quota pays after an edit", async () => {
    const alice = (await platform.createToken('operator')).secret;
    const bob = (await platform.createToken('operator')).secret;
    // Alice holds both her places with tasks of her own.
    for (const n of ['1', '2']) await graphqlData(url, SUBMIT, { input: input(), labels: { by: 'alice', n } }, { token: alice });
    const { createSchedule } = await graphqlData<{ createSchedule: ScheduleView }>(
      url,
      `mutation($input: JSON!) { createSchedule(kind: BENCHMARK, type: "k8s-manifests", input: $input, cron: "* * * * * *") { ${FIELDS} } }`,
      { input: input() },
      { token: alice },
    );
    const refused = await until(createSchedule.id, alice, 'a refused firing', (s) => s.lastError !== null);
    expect(refused.lastError).toBe(
      'firing skipped: the API token that created or last edited this schedule already has 2 queued or running tasks (BULKHEAD_MAX_QUEUED_TASKS_PER_TOKEN)',
    );
    expect(refused.lastTaskId).toBeNull();
    const queuedBySchedule = async () =>
      (await platform.db.dataSource.query<{ n: string }[]>(`SELECT count(*) AS n FROM task WHERE labels ->> 'bulkhead.io/schedule' = $1`, [createSchedule.id]))[0]?.n;
    expect(await queuedBySchedule()).toBe('0');

    // Bob edits it: his quota (empty) pays from now on, and the firing submits a task.
    await graphqlData(url, 'mutation($id: ID!) { updateSchedule(id: $id, cron: "*/1 * * * * *") { id } }', { id: createSchedule.id }, { token: bob });
    const fired = await until(createSchedule.id, bob, 'a firing under the editor', (s) => s.lastTaskId !== null);
    expect(fired.lastError).toBeNull();
    expect(await queuedBySchedule()).toBe('1');
    // The unfinished run absorbs later firings without taking a place or recording an error.
    await new Promise((r) => setTimeout(r, 2_500));
    const later = await get(createSchedule.id, bob);
    expect(later).toMatchObject({ lastTaskId: fired.lastTaskId, lastError: null });
    expect(await queuedBySchedule()).toBe('1');
    // Bob's place is taken by the scheduled task: one more of his own is fine, the next is refused.
    await graphqlData(url, SUBMIT, { input: input(), labels: { by: 'bob', n: '1' } }, { token: bob });
    const { errors } = await graphql(url, SUBMIT, { input: input(), labels: { by: 'bob', n: '2' } }, { token: bob });
    expect(errors?.[0]?.extensions?.['code']).toBe('RATE_LIMITED');
    await graphqlData(url, 'mutation($id: ID!) { deleteSchedule(id: $id) }', { id: createSchedule.id }, { token: bob });
  });

  it("finds a schedule's tasks through the label index, not a scan of the team's tasks", async () => {
    // The table is tiny here, so the planner would rightly read it whole: forbid that to see the index is usable.
    const runner = platform.db.dataSource.createQueryRunner();
    await runner.startTransaction();
    await runner.query('SET LOCAL enable_seqscan = off');
    const plan: { 'QUERY PLAN': string }[] = await runner.query(
      `EXPLAIN SELECT t.id FROM task AS t WHERE t.team = 'default' AND t.labels ? 'bulkhead.io/schedule' AND t.labels ->> 'bulkhead.io/schedule' = '00000000-0000-4000-8000-000000000000'`,
    );
    await runner.rollbackTransaction();
    await runner.release();
    expect(plan.map((row) => row['QUERY PLAN']).join('\n')).toContain('IDX_task_team_schedule_label');
  });
});
