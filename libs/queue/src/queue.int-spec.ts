import { randomBytes } from 'node:crypto';
import { TaskStatus, TaskStore } from '@bulkhead/persistence';
import { createTestDatabase, type TestDatabase } from '@bulkhead/persistence/testing';
import { definePlugin, defineTask, PluginRegistry } from '@bulkhead/plugin-sdk';
import { UnrecoverableError, Worker } from 'bullmq';
import { z } from 'zod';
import {
  BULLMQ_STALLED_REASON,
  createRedis,
  MAX_TASK_STARTS,
  deleteKeysWithPrefix,
  JobName,
  queueNameForKind,
  Reconciler,
  TaskEventsPublisher,
  TaskEventsSubscriber,
  TaskQueues,
  ServerInputPolicy,
  subscribeWhenReady,
  TaskSubmitter,
  taskEventsChannel,
  taskUpdateOf,
  type TaskUpdate,
} from './index';

jest.setTimeout(60_000);

const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const registry = new PluginRegistry([
  definePlugin({
    manifest: { id: 'test.queue', version: '1.0.0', kind: 'scanner', phases: ['build'], description: 'queue tests' },
    tasks: [defineTask({ type: 'echo', description: 'echo', input: z.object({ text: z.string() }), run: async (input) => input.text })],
  }),
]);

let db: TestDatabase;
let prefix: string;
let tasks: TaskStore;
let queues: TaskQueues;

beforeAll(async () => {
  db = await createTestDatabase('queue');
  prefix = `bhtest-queue-${randomBytes(4).toString('hex')}`;
  tasks = new TaskStore(db.dataSource);
  queues = new TaskQueues({ redisUrl: REDIS_URL, prefix });
});

afterAll(async () => {
  await queues?.close();
  const redis = createRedis(REDIS_URL, 'producer');
  await deleteKeysWithPrefix(redis, prefix).catch(() => undefined);
  redis.disconnect();
  await db?.drop();
});

describe('TaskSubmitter', () => {
  it('writes the row first, adds the job with the task id, and de-duplicates', async () => {
    const submitter = new TaskSubmitter({ registry, tasks, queues, inputs: new ServerInputPolicy({ allowedPaths: ['/'] }) });
    const first = await submitter.submit({ kind: 'scanner', type: 'echo', input: { text: 'a' } });
    expect(first).toMatchObject({ created: true, enqueued: true });
    const job = await queues.getJob(first.task);
    expect(job?.name).toBe(JobName.TaskRun);
    expect(job?.data).toEqual({ taskId: first.task.id });
    expect(job?.queueName).toBe(queueNameForKind('scanner'));
    const second = await submitter.submit({ kind: 'scanner', type: 'echo', input: { text: 'a' } });
    expect(second).toMatchObject({ created: false, task: { id: first.task.id } });
  });

  it('submits a batch: checked whole first, one row and one job per new task, twins (in the table or the batch) returned as they are', async () => {
    const submitter = new TaskSubmitter({ registry, tasks, queues, inputs: new ServerInputPolicy({ allowedPaths: ['/'] }) });
    const live = await submitter.submit({ kind: 'scanner', type: 'echo', input: { text: 'batch-live' } });
    // A bad request anywhere: nothing of the batch is written, and the error names its index.
    const before = await db.dataSource.query<{ n: string }[]>('SELECT count(*) AS n FROM task');
    await expect(submitter.submitMany([{ kind: 'scanner', type: 'echo', input: { text: 'batch-ok' } }, { kind: 'scanner', type: 'echo', input: { text: 7 } }])).rejects.toThrow(/^tasks\[1\]: invalid input for task echo: text/);
    await expect(submitter.submitMany([{ kind: 'scanner', type: 'nope', input: {} }])).rejects.toThrow(/^tasks\[0\]: /);
    await expect(submitter.submitMany([])).rejects.toThrow(/at least one task/);
    await expect(submitter.submitMany(Array.from({ length: 501 }, () => ({ kind: 'scanner' as const, type: 'echo', input: { text: 'x' } })))).rejects.toThrow(/at most 500 tasks per call \(got 501\)/);
    expect(await db.dataSource.query('SELECT count(*) AS n FROM task')).toEqual(before);

    const results = await submitter.submitMany([
      { kind: 'scanner', type: 'echo', input: { text: 'batch-1' } },
      { kind: 'scanner', type: 'echo', input: { text: 'batch-live' } },
      { kind: 'scanner', type: 'echo', input: { text: 'batch-2' }, labels: { ci: 'yes' } },
      { kind: 'scanner', type: 'echo', input: { text: 'batch-1' } },
    ]);
    expect(results.map((r) => [r.task.input, r.created, r.enqueued])).toEqual([
      [{ text: 'batch-1' }, true, true],
      [{ text: 'batch-live' }, false, false],
      [{ text: 'batch-2' }, true, true],
      [{ text: 'batch-1' }, false, false],
    ]);
    expect(results[1]?.task.id).toBe(live.task.id);
    expect(results[3]?.task.id).toBe(results[0]?.task.id);
    expect(results[2]?.task.labels).toEqual({ ci: 'yes' });
    for (const r of [results[0], results[2]]) expect((await queues.getJob(r?.task as { id: string; kind: 'scanner' }))?.data).toEqual({ taskId: r?.task.id });
    const stored = await db.dataSource.query<{ n: string }[]>(`SELECT count(*) AS n FROM task WHERE input->>'text' IN ('batch-1', 'batch-2')`);
    expect(Number(stored[0]?.n)).toBe(2);
  });

  it('keeps the task when Redis is unreachable; the reconciler enqueues it later', async () => {
    const deadQueues = new TaskQueues({ redisUrl: 'redis://127.0.0.1:1', prefix });
    try {
      const submitter = new TaskSubmitter({ registry, tasks, queues: deadQueues, inputs: new ServerInputPolicy({ allowedPaths: ['/'] }) });
      const { task, created, enqueued } = await submitter.submit({ kind: 'scanner', type: 'echo', input: { text: 'redis down' } });
      expect({ created, enqueued }).toEqual({ created: true, enqueued: false });
      expect((await tasks.get(task.id))?.status).toBe(TaskStatus.QUEUED);
      expect(await queues.getJob(task)).toBeUndefined();

      const report = await new Reconciler({ tasks, queues }).reconcile();
      expect(report.enqueued).toBeGreaterThanOrEqual(1);
      expect((await queues.getJob(task))?.data).toEqual({ taskId: task.id });
      // A second pass finds nothing to do.
      expect((await new Reconciler({ tasks, queues }).reconcile()).enqueued).toBe(0);
    } finally {
      await deadQueues.close();
    }
  });
});

describe('Reconciler', () => {
  /** Has a bare worker fail the task's job with `reason` without touching the row (as BullMQ does for a job stalled too often). */
  async function failJob(task: { id: string; kind: 'runtime' }, reason: string): Promise<void> {
    const connection = createRedis(REDIS_URL, 'worker');
    // The runtime queue: empty, so the bare worker touches only this job.
    const worker = new Worker(queueNameForKind('runtime'), async () => {
      throw new UnrecoverableError(reason);
    }, { connection, prefix });
    try {
      const job = await queues.getJob(task);
      if (!job) throw new Error('job was not added');
      for (let i = 0; i < 100 && (await job.getState()) !== 'failed'; i++) await new Promise((r) => setTimeout(r, 50));
    } finally {
      await worker.close();
      connection.disconnect();
    }
  }

  it('marks FAILED a task whose job BullMQ failed without the worker recording it', async () => {
    const task = await tasks.create({ kind: 'runtime', type: 'echo', input: { text: 'x' } });
    await queues.enqueue(task);
    await failJob({ id: task.id, kind: 'runtime' }, 'job failed outside the task');
    expect((await tasks.get(task.id))?.status).toBe(TaskStatus.QUEUED);
    const report = await new Reconciler({ tasks, queues }).reconcile();
    expect(report.failed).toBe(1);
    expect(await tasks.get(task.id)).toMatchObject({ status: TaskStatus.FAILED, error: 'job failed outside the task' });
  });

  it('runs again a task whose job BullMQ failed as stalled (its workers died), until it was started MAX_TASK_STARTS times', async () => {
    const task = await tasks.create({ kind: 'runtime', type: 'echo', input: { text: 'stalled' } });
    await queues.enqueue(task);
    await failJob({ id: task.id, kind: 'runtime' }, BULLMQ_STALLED_REASON);
    await db.dataSource.query(`UPDATE task SET status = 'RUNNING', attempts = $2 WHERE id = $1`, [task.id, MAX_TASK_STARTS - 1]);
    const again = await new Reconciler({ tasks, queues }).reconcile();
    expect(again).toMatchObject({ enqueued: 1, failed: 0 });
    expect(await (await queues.getJob(task))?.getState()).toBe('waiting');
    expect((await tasks.get(task.id))?.status).toBe(TaskStatus.RUNNING);

    // One more start, and every worker running it died again: that is the task's doing.
    await failJob({ id: task.id, kind: 'runtime' }, BULLMQ_STALLED_REASON);
    await db.dataSource.query(`UPDATE task SET attempts = $2 WHERE id = $1`, [task.id, MAX_TASK_STARTS]);
    const given = await new Reconciler({ tasks, queues }).reconcile();
    expect(given).toMatchObject({ enqueued: 0, failed: 1 });
    expect(await tasks.get(task.id)).toMatchObject({ status: TaskStatus.FAILED, error: `the task was started ${MAX_TASK_STARTS} times and every worker running it died or stalled (${BULLMQ_STALLED_REASON})` });
  });

  it('does not re-enqueue a task that finished between its listing and the look at its job', async () => {
    // The benchmark queue: empty, so the bare worker below takes only these jobs.
    const done = await tasks.create({ kind: 'benchmark', type: 'echo', input: { text: 'finished meanwhile' } });
    const removed = await tasks.create({ kind: 'benchmark', type: 'echo', input: { text: 'finished and removed' } });
    await queues.enqueue(done);
    await queues.enqueue(removed);
    // The pass lists both rows as unfinished; then, before it looks at their jobs, a worker
    // finishes them as the worker does (row first, then the job completes), and one completed
    // job is removed as retention (removeOnComplete) does.
    const listing = new TaskStore(db.dataSource);
    listing.listUnfinished = async (options) => {
      const rows = (await tasks.listUnfinished(options)).filter((t) => t.id === done.id || t.id === removed.id);
      if (rows.length === 0) return rows;
      const connection = createRedis(REDIS_URL, 'worker');
      const worker = new Worker(
        queueNameForKind('benchmark'),
        async (job) => {
          const id = (job.data as { taskId: string }).taskId;
          await tasks.markRunning(id);
          await tasks.succeed(id, 'ok');
        },
        { connection, prefix },
      );
      try {
        for (let i = 0; i < 200 && !((await (await queues.getJob(done))?.getState()) === 'completed' && (await (await queues.getJob(removed))?.getState()) === 'completed'); i++) {
          await new Promise((r) => setTimeout(r, 50));
        }
      } finally {
        await worker.close();
        connection.disconnect();
      }
      await (await queues.getJob(removed))?.remove();
      return rows;
    };
    const report = await new Reconciler({ tasks: listing, queues }).reconcile();
    expect(report).toMatchObject({ checked: 2, enqueued: 0, failed: 0 });
    expect(await (await queues.getJob(done))?.getState()).toBe('completed');
    expect(await queues.getJob(removed)).toBeUndefined();
    expect((await tasks.get(done.id))?.status).toBe(TaskStatus.SUCCEEDED);
  });
});

describe('task events', () => {
  // No fixed wait: the test ends when the subscription ends, which only its terminal update does;
  // how long that takes on a loaded machine is bounded by this test's own generous timeout alone.
  it(
    'delivers the updates of one task in order and ends after its terminal state',
    async () => {
      const publisher = new TaskEventsPublisher({ redisUrl: REDIS_URL, prefix });
      const subscriber = new TaskEventsSubscriber({ redisUrl: REDIS_URL, prefix });
      const observer = createRedis(REDIS_URL, 'producer');
      try {
        const task = await tasks.create({ kind: 'scanner', type: 'echo', input: { text: 'events' } });
        const other = await tasks.create({ kind: 'scanner', type: 'echo', input: { text: 'other' } });
        const iterator = await subscriber.updates(task.id);
        // Redis itself says the channel has its subscriber before anything is published: updates()
        // resolves only once the server holds the subscription (subscribeWhenReady).
        const channel = taskEventsChannel(prefix, task.id);
        const subscribers = await observer.pubsub('NUMSUB', channel);
        expect(subscribers).toEqual([channel, 1]);
        const received: TaskUpdate[] = [];
        const collecting = (async () => {
          for await (const update of { [Symbol.asyncIterator]: () => iterator }) received.push(update);
        })();
        const base = taskUpdateOf(task);
        await publisher.publish({ ...taskUpdateOf(other), status: TaskStatus.RUNNING });
        await publisher.publish({ ...base, status: TaskStatus.RUNNING });
        await publisher.publish({ ...base, status: TaskStatus.RUNNING, progress: 0.5 });
        await publisher.publish({ ...base, status: TaskStatus.SUCCEEDED, progress: 1 });
        await publisher.publish({ ...base, status: TaskStatus.RUNNING, progress: 0.9 }); // after the end: not delivered
        await collecting;
        expect(received.map((u) => [u.id, u.status, u.progress])).toEqual([
          [task.id, 'RUNNING', 0],
          [task.id, 'RUNNING', 0.5],
          [task.id, 'SUCCEEDED', 1],
        ]);
        // The ended subscription let go of its channel.
        expect(await observer.pubsub('NUMSUB', taskEventsChannel(prefix, task.id))).toEqual([taskEventsChannel(prefix, task.id), 0]);
      } finally {
        observer.disconnect();
        await publisher.close();
        await subscriber.close();
      }
    },
    180_000,
  );

  it('subscribeWhenReady holds the subscription on the server once it resolves, even when asked as the socket connects', async () => {
    // The window ioredis 5 got wrong: between the socket's 'connect' and 'ready' (its handshake),
    // a SUBSCRIBE was acknowledged without the server ever holding it.
    const connections = Array.from({ length: 20 }, () => createRedis(REDIS_URL, 'subscriber', { lazyConnect: true }));
    const observer = createRedis(REDIS_URL, 'producer');
    try {
      const channels = connections.map((_, i) => `${prefix}:subscribe-race:${i}`);
      await Promise.all(
        connections.map(
          (connection, i) =>
            new Promise<void>((resolve, reject) => {
              connection.once('connect', () => subscribeWhenReady(connection, channels[i] as string).then(resolve, reject));
              connection.connect().catch(reject);
            }),
        ),
      );
      const counts = await Promise.all(channels.map(async (channel) => ((await observer.pubsub('NUMSUB', channel)) as [string, number])[1]));
      expect(counts).toEqual(channels.map(() => 1));
    } finally {
      observer.disconnect();
      for (const connection of connections) connection.disconnect();
    }
  });

  it('stops an iterator when its signal aborts', async () => {
    const subscriber = new TaskEventsSubscriber({ redisUrl: REDIS_URL, prefix });
    try {
      const controller = new AbortController();
      const iterator = await subscriber.updates('00000000-0000-4000-8000-000000000000', controller.signal);
      const next = iterator.next();
      controller.abort();
      expect(await next).toEqual({ value: undefined, done: true });
    } finally {
      await subscriber.close();
    }
  });
});
