import { randomBytes } from 'node:crypto';
import { TaskStatus, TaskStore, type TaskEntity } from '@bulkhead/persistence';
import { createTestDatabase, type TestDatabase } from '@bulkhead/persistence/testing';
import { BadInputError, definePlugin, defineTask, PluginRegistry, type ChildTaskOutcome } from '@bulkhead/plugin-sdk';
import { createRedis, deleteKeysWithPrefix, ServerInputPolicy, TaskQueues, TaskSubmitter } from '@bulkhead/queue';
import { z } from 'zod';
import { FLOW_CHILD_LABEL } from './task-flow';
import { startWorker, type WorkerHost } from './worker-host';

/*
 * Flows on real Postgres and Redis (BullMQ): a parent task declaring children waits for them in
 * `waiting-children` (no worker held, row QUEUED), then runs once with their outcomes — a
 * child's findings (complete reports and plain ones), a failed child's error — and the reconciler
 * wakes a parent whose children finished without BullMQ telling it.
 */

jest.setTimeout(60_000);
const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';

/** Children of kind benchmark wait until the test opens their gate (by input name). */
const gates = new Map<string, () => void>();
const opened = new Map<string, Promise<void>>();
function gate(name: string): Promise<void> {
  if (!opened.has(name)) opened.set(name, new Promise<void>((resolve) => gates.set(name, resolve)));
  return opened.get(name) as Promise<void>;
}
const open = (name: string) => (void gate(name), gates.get(name)?.());

const seen = new Map<string, readonly ChildTaskOutcome[]>();
const registry = new PluginRegistry([
  definePlugin({
    manifest: { id: 'test.flow-children', version: '1.0.0', kind: 'benchmark', phases: ['build'], description: 'children' },
    tasks: [
      defineTask({
        type: 'child',
        description: 'waits for its gate, reports findings, or fails for good',
        input: z.object({ name: z.string(), fail: z.boolean().default(false) }),
        run: async (input, ctx) => {
          await gate(input.name);
          if (input.fail) throw new BadInputError(`${input.name} refuses`);
          await ctx.emit.findings([{ kind: 'benchmark', severity: 'CRITICAL', ruleId: 'C1', title: 'critical', target: `img-${input.name}` }], { producer: 'test/child', scope: input.name });
          await ctx.emit.findings([{ kind: 'benchmark', severity: 'LOW', ruleId: 'L1', title: 'low', target: `img-${input.name}` }]);
          return { name: input.name };
        },
      }),
    ],
  }),
  definePlugin({
    manifest: { id: 'test.flow-parent', version: '1.0.0', kind: 'signer', phases: ['ship'], description: 'parent' },
    tasks: [
      defineTask({
        type: 'parent',
        description: 'decides over its children',
        input: z.object({ names: z.array(z.string()).min(1), failing: z.string().optional() }),
        children: (input) => input.names.map((name) => ({ kind: 'benchmark' as const, type: 'child', input: { name, fail: name === input.failing } })),
        run: async (input, ctx) => {
          seen.set(input.names.join(','), ctx.children ?? []);
          return { statuses: ctx.children?.map((c) => c.status) };
        },
      }),
    ],
  }),
]);

let db: TestDatabase;
let prefix: string;
let tasks: TaskStore;
let queues: TaskQueues;
let submitter: TaskSubmitter;
let host: WorkerHost | undefined;

beforeAll(async () => {
  db = await createTestDatabase('task_flow');
  prefix = `bhtest-flow-${randomBytes(4).toString('hex')}`;
  tasks = new TaskStore(db.dataSource);
  queues = new TaskQueues({ redisUrl: REDIS_URL, prefix });
  const inputs = new ServerInputPolicy({ allowedPaths: [] });
  submitter = new TaskSubmitter({ registry, tasks, queues, inputs });
  host = await startWorker({ registry, inputs, database: { dataSource: db.dataSource }, redisUrl: REDIS_URL, queuePrefix: prefix, migrate: false, shutdownGraceMs: 1_000, concurrency: { benchmark: 4 }, flowPollMs: 200 });
});

afterAll(async () => {
  for (const resolve of gates.values()) resolve();
  await host?.stop().catch(() => undefined);
  await queues?.close();
  const redis = createRedis(REDIS_URL, 'producer');
  await deleteKeysWithPrefix(redis, prefix).catch(() => undefined);
  redis.disconnect();
  await db?.drop();
});

async function waitFor<T>(what: string, probe: () => Promise<T | undefined | null | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const children = async (parentTaskId: string): Promise<TaskEntity[]> =>
  (await tasks.list({ parentTaskId })).edges.map((e) => e.node).sort((a, b) => a.labels[FLOW_CHILD_LABEL]!.localeCompare(b.labels[FLOW_CHILD_LABEL]!));

describe('flows on the worker', () => {
  it('the parent waits in waiting-children, then runs once with every outcome (findings, a failed child)', async () => {
    const { task } = await submitter.submit({ kind: 'signer', type: 'parent', input: { names: ['a1', 'a2'], failing: 'a2' } });
    const kids = await waitFor('both children', async () => ((await children(task.id)).length === 2 ? children(task.id) : undefined));
    expect(kids.map((k) => [k.kind, k.type, k.input, k.labels[FLOW_CHILD_LABEL]])).toEqual([
      ['benchmark', 'child', { name: 'a1', fail: false }, '0'],
      ['benchmark', 'child', { name: 'a2', fail: true }, '1'],
    ]);
    const job = await queues.getJob(task);
    await waitFor('the parent job in waiting-children', async () => (await job?.getState()) === 'waiting-children');
    expect((await tasks.get(task.id))?.status).toBe(TaskStatus.QUEUED); // not RUNNING: it holds no worker
    open('a1');
    await waitFor('a1 done', async () => (await tasks.get(kids[0]!.id))?.status === TaskStatus.SUCCEEDED);
    expect(await job?.getState()).toBe('waiting-children'); // a2 still runs
    open('a2');
    const done = await waitFor('the parent to finish', async () => {
      const row = await tasks.get(task.id);
      return row?.status === TaskStatus.SUCCEEDED || row?.status === TaskStatus.FAILED ? row : undefined;
    });
    expect(done).toMatchObject({ status: TaskStatus.SUCCEEDED, attempts: 1, result: { statuses: ['SUCCEEDED', 'FAILED'] } });
    const [ok, failed] = seen.get('a1,a2') ?? [];
    expect(ok).toMatchObject({ taskId: kids[0]!.id, status: 'SUCCEEDED', output: { name: 'a1' } });
    expect(ok?.findings.map((f) => [f.ruleId, f.severity, f.status, typeof f.id])).toEqual([
      ['C1', 'CRITICAL', 'OPEN', 'string'],
      ['L1', 'LOW', 'OPEN', 'string'],
    ]);
    expect(ok?.severityCounts).toMatchObject({ CRITICAL: 1, LOW: 1, HIGH: 0 });
    expect(failed).toMatchObject({ taskId: kids[1]!.id, status: 'FAILED', error: 'a2 refuses', output: null });
  });

  it('the reconciler leaves a waiting parent alone, and wakes one whose children all finished without BullMQ telling it', async () => {
    const { task } = await submitter.submit({ kind: 'signer', type: 'parent', input: { names: ['b1'] } });
    const [kid] = await waitFor('the child', async () => ((await children(task.id)).length === 1 ? children(task.id) : undefined));
    const job = await queues.getJob(task);
    await waitFor('waiting-children', async () => (await job?.getState()) === 'waiting-children');
    // Waiting for an unfinished child is not a lost job.
    expect(await host!.reconciler.reconcile()).toMatchObject({ enqueued: 0, failed: 0 });
    // The child's row ends while its job still runs (cancelled, here by hand): BullMQ would
    // wake the parent only when that job completes. The reconciler does not wait for it.
    await tasks.cancel(kid!.id);
    expect((await host!.reconciler.reconcile()).enqueued).toBeGreaterThanOrEqual(1);
    const done = await waitFor('the parent to finish', async () => {
      const row = await tasks.get(task.id);
      return row?.status === TaskStatus.SUCCEEDED ? row : undefined;
    });
    expect(done.result).toEqual({ statuses: ['CANCELLED'] });
    open('b1');
  });

  it('a parent whose job was lost is re-added by the reconciler and, its children not linked to it, polls their rows', async () => {
    const { task } = await submitter.submit({ kind: 'signer', type: 'parent', input: { names: ['c1'] } });
    await waitFor('the child', async () => (await children(task.id)).length === 1);
    const job = await queues.getJob(task);
    await waitFor('waiting-children', async () => (await job?.getState()) === 'waiting-children');
    // Redis loses the parent's job (the child's job lives on, linked to a job that is gone).
    await job!.remove({ removeChildren: false });
    expect(await queues.getJob(task)).toBeUndefined();
    expect((await host!.reconciler.reconcile()).enqueued).toBeGreaterThanOrEqual(1);
    const readded = await queues.getJob(task);
    await waitFor('the re-added parent to poll (delayed)', async () => (await readded?.getState()) === 'delayed');
    expect((await tasks.get(task.id))?.status).toBe(TaskStatus.QUEUED);
    open('c1');
    const done = await waitFor('the parent to finish', async () => {
      const row = await tasks.get(task.id);
      return row?.status === TaskStatus.SUCCEEDED ? row : undefined;
    });
    expect(done).toMatchObject({ attempts: 1, result: { statuses: ['SUCCEEDED'] } });
    expect(await children(task.id)).toHaveLength(1); // nothing was submitted twice
  });

  it('fails a parent at once when its input asks for too many children', async () => {
    const { task } = await submitter.submit({ kind: 'signer', type: 'parent', input: { names: Array.from({ length: 101 }, (_, i) => `x${i}`) } });
    const done = await waitFor('the parent to fail', async () => {
      const row = await tasks.get(task.id);
      return row?.status === TaskStatus.FAILED ? row : undefined;
    });
    expect(done.error).toMatch(/asks for 101 child tasks; at most 100/);
    expect(await children(task.id)).toEqual([]);
  });
});
