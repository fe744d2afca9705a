import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { builtinPlugins } from '@bulkhead/builtin-plugins';
import { ArtifactEntity, FindingEntity, PackageEntity, TaskStatus, TaskStore } from '@bulkhead/persistence';
import { createTestDatabase, type TestDatabase } from '@bulkhead/persistence/testing';
import { PluginRegistry } from '@bulkhead/plugin-sdk';
import type { StoredFinding } from '@bulkhead/plugin-sdk/api';
import {
  createRedis,
  deleteKeysWithPrefix,
  findingsRaisedChannel,
  FindingsPublisher,
  parseRaisedFinding,
  TaskEventsPublisher,
  TaskQueues,
  ServerInputPolicy, TaskSubmitter,
  taskUpdateOf,
} from '@bulkhead/queue';
import { startWorker, type WorkerHost } from '@bulkhead/worker';
import type { Redis } from 'ioredis';
import { abortsSeen, plugin as slowPlugin } from './testing/slow-plugin.fixture';
import { FINISHED, REDIS_URL, testPrefix, waitFor, waitForStatus } from './testing/harness';

/*
 * The worker's two Redis pub/sub duties: hearing cancellations of the tasks it runs (and
 * aborting them), and announcing every finding its tasks insert on the findings channel.
 */

jest.setTimeout(60_000);

let db: TestDatabase;
let prefix: string;
let tasks: TaskStore;
let queues: TaskQueues;
let submitter: TaskSubmitter;
let events: TaskEventsPublisher;
let host: WorkerHost;
const registry = new PluginRegistry([...builtinPlugins(), slowPlugin]);

beforeAll(async () => {
  db = await createTestDatabase('worker_pubsub');
  prefix = testPrefix('worker-pubsub');
  tasks = new TaskStore(db.dataSource);
  queues = new TaskQueues({ redisUrl: REDIS_URL, prefix });
  submitter = new TaskSubmitter({ registry, tasks, queues, inputs: new ServerInputPolicy({ allowedPaths: ['/'] }) });
  events = new TaskEventsPublisher({ redisUrl: REDIS_URL, prefix });
  host = await startWorker({
    registry,
    database: { dataSource: db.dataSource },
    redisUrl: REDIS_URL,
    queuePrefix: prefix,
    kinds: ['scanner', 'runtime'],
    concurrency: { scanner: 2, runtime: 2 },
    shutdownGraceMs: 2_000,
    migrate: false,
  });
});

afterAll(async () => {
  await host?.stop().catch(() => undefined);
  await queues?.close();
  await events?.close();
  const redis = createRedis(REDIS_URL, 'producer');
  await deleteKeysWithPrefix(redis, prefix).catch(() => undefined);
  redis.disconnect();
  await db?.drop();
});

function slowTask(digest: string, steps: number) {
  return submitter.submit({ kind: 'scanner', type: 'slow-inventory', input: { digest, packages: 2, steps, stepMs: 100 }, dedup: false });
}

async function runningWithArtifact(taskId: string, digest: string): Promise<void> {
  await waitForStatus(tasks, taskId, [TaskStatus.RUNNING]);
  await waitFor('the artifact the task writes first', () => db.dataSource.manager.findOneBy(ArtifactEntity, { digest }), 10_000, 20);
}

describe('cancelling a running task', () => {
  it('aborts the plugin within a second, leaves the row CANCELLED, does not retry, and serves the next task', async () => {
    const digest = 'sha256:cancel-me';
    const { task } = await slowTask(digest, 300); // 30 s if left alone
    await runningWithArtifact(task.id, digest);

    // What the API's cancelTask does: the row first, then the CANCELLED update on pub/sub.
    const cancelledAt = Date.now();
    const cancelled = await tasks.cancel(task.id);
    await events.publish(taskUpdateOf(cancelled));

    const seen = await waitFor('the plugin to see its signal abort', async () => abortsSeen.get(task.id), 2_000, 10);
    expect(seen.at - cancelledAt).toBeLessThan(1_500);
    expect(seen.reason).toMatchObject({ name: 'TaskCancelledError', message: `task ${task.id} was cancelled` });

    const job = await waitFor('the job to end', async () => {
      const j = await queues.getJob(task);
      // Read again once completed: the copy read first may predate the completion (no returnvalue yet).
      return j && (await j.isCompleted()) ? queues.getJob(task) : undefined;
    }, 5_000, 50);
    expect(job.returnvalue).toEqual({ status: 'CANCELLED' });
    expect(job.attemptsMade).toBe(1);
    expect(await job.getState()).toBe('completed');

    const row = await tasks.get(task.id);
    expect(row).toMatchObject({ status: TaskStatus.CANCELLED, attempts: 1, result: null, error: null });
    // What it wrote before the cancel stays; what it would have written after never comes.
    const artifact = await db.dataSource.manager.findOneByOrFail(ArtifactEntity, { digest });
    expect(await db.dataSource.manager.countBy(PackageEntity, { artifactId: artifact.id })).toBe(0);

    const next = await slowTask('sha256:after-cancel', 1);
    expect((await waitForStatus(tasks, next.task.id, FINISHED, 10_000)).status).toBe(TaskStatus.SUCCEEDED);
    expect((await tasks.get(task.id))?.status).toBe(TaskStatus.CANCELLED);
  });

  it('aborts it on its next progress write when the cancellation message was missed', async () => {
    const digest = 'sha256:cancel-unheard';
    const { task } = await slowTask(digest, 300);
    await runningWithArtifact(task.id, digest);
    const cancelledAt = Date.now();
    await tasks.cancel(task.id); // no message: as if the worker's subscriber was reconnecting

    // Progress is written at most every 500 ms (one step per 100 ms): the refused write tells.
    const seen = await waitFor('the plugin to see its signal abort', async () => abortsSeen.get(task.id), 3_000, 10);
    expect(seen.at - cancelledAt).toBeLessThan(2_000);
    const job = await waitFor('the job to end', async () => {
      const j = await queues.getJob(task);
      // Read again once completed: the copy read first may predate the completion (no returnvalue yet).
      return j && (await j.isCompleted()) ? queues.getJob(task) : undefined;
    }, 5_000, 50);
    expect(job.returnvalue).toEqual({ status: 'CANCELLED' });
    expect((await tasks.get(task.id))?.status).toBe(TaskStatus.CANCELLED);
  });
});

const RULES = `- rule: Shell in container
  desc: a shell ran in a container
  condition: evt.type = execve and proc.name = bash and container.id != host
  output: Shell in container (container=%container.id ns=%k8s.ns.name pod=%k8s.pod.name)
  priority: WARNING
  tags: [container, shell]
`;

const EVENTS = [
  { 'evt.type': 'execve', 'evt.time': '2025-03-01T10:00:00.000000001Z', 'proc.name': 'bash', 'container.id': 'c0ffee', 'k8s.ns.name': 'payments', 'k8s.pod.name': 'api-1' },
  { 'evt.type': 'execve', 'evt.time': '2025-03-01T10:00:01.000000000Z', 'proc.name': 'ls', 'container.id': 'c0ffee' },
  { 'evt.type': 'execve', 'evt.time': '2025-03-01T10:00:02.000000000Z', 'proc.name': 'bash', 'container.id': 'host' },
];

describe('findings inserted by a worker task', () => {
  let listener: Redis;
  const heard: StoredFinding[] = [];

  let rulesDir = '';

  beforeAll(async () => {
    // A server takes rules only from its operator: the worker's BULKHEAD_RUNTIME_RULES.
    rulesDir = mkdtempSync(path.join(tmpdir(), 'bulkhead-rules-'));
    writeFileSync(path.join(rulesDir, 'rules.yaml'), RULES);
    process.env['BULKHEAD_RUNTIME_RULES'] = path.join(rulesDir, 'rules.yaml');
    listener = createRedis(REDIS_URL, 'subscriber');
    listener.on('message', (_channel: string, message: string) => {
      const raised = parseRaisedFinding(message);
      if (raised?.team === 'default') heard.push(raised.finding);
    });
    await listener.subscribe(findingsRaisedChannel(prefix));
  });

  afterAll(() => {
    listener?.disconnect();
    delete process.env['BULKHEAD_RUNTIME_RULES'];
    rmSync(rulesDir, { recursive: true, force: true });
  });

  const evaluate = async () => {
    const { task } = await submitter.submit({ kind: 'runtime', type: 'evaluate-events', input: { events: { inline: EVENTS } }, dedup: false });
    const done = await waitForStatus(tasks, task.id, FINISHED, 20_000);
    expect(done.status).toBe(TaskStatus.SUCCEEDED);
    return done;
  };
  const runtimeRows = () => db.dataSource.manager.countBy(FindingEntity, { kind: 'runtime' });

  it('are published once on the findings channel, as the stored rows', async () => {
    const done = await evaluate();
    expect(done.result).toMatchObject({ events: 3, alerts: 1 });
    await waitFor('the alert on the channel', async () => heard.length > 0, 5_000, 20);
    const row = await db.dataSource.manager.findOneByOrFail(FindingEntity, { kind: 'runtime' });
    expect(heard).toEqual([
      {
        id: row.id,
        kind: 'runtime',
        severity: 'MEDIUM',
        ruleId: row.ruleId,
        title: row.title,
        target: 'container:c0ffee',
        location: row.location,
        data: expect.objectContaining({ rule: 'Shell in container', priority: 'Warning', time: '2025-03-01T10:00:00.000000001Z', tags: ['container', 'shell'] }),
        fingerprint: row.fingerprint,
        taskId: done.id,
        status: 'OPEN',
        reopened: false,
        reopenedAt: null,
        firstSeenAt: row.firstSeenAt,
        lastSeenAt: row.lastSeenAt,
        resolvedAt: null,
      },
    ]);
    expect(heard[0]?.data).toEqual(row.data);
    expect(row.taskId).toBe(done.id);
  });

  it('running the same task again publishes nothing and adds no rows', async () => {
    const before = await runtimeRows();
    const row = await db.dataSource.manager.findOneByOrFail(FindingEntity, { kind: 'runtime' });
    const again = await evaluate();
    // A marker published after the task finished arrives after anything the task published.
    const producer = new FindingsPublisher({ redisUrl: REDIS_URL, prefix });
    const marker: StoredFinding = { ...row, status: 'OPEN', reopened: false, resolvedAt: null, id: 'marker' };
    await producer.publish('default', [marker]).finally(() => producer.close());
    await waitFor('the marker', async () => heard.some((a) => a.id === 'marker'), 5_000, 20);
    expect(heard.map((a) => a.id)).toEqual([row.id, 'marker']);
    expect(await runtimeRows()).toBe(before);
    const refreshed = await db.dataSource.manager.findOneByOrFail(FindingEntity, { id: row.id });
    expect(refreshed.taskId).toBe(again.id);
    expect(refreshed.firstSeenAt).toEqual(row.firstSeenAt);
  });
});
