import { ResultWriter, TaskStore, teamScope } from '@bulkhead/persistence';
import { createTestDatabase, type TestDatabase } from '@bulkhead/persistence/testing';
import { BadInputError, definePlugin, defineTask, PluginRegistry, silentLogger } from '@bulkhead/plugin-sdk';
import { createRedis, deleteKeysWithPrefix, notificationsRaisedChannel, NotificationsPublisher, parseRaisedNotification, ServerInputPolicy, TaskQueues, type RaisedNotification } from '@bulkhead/queue';
import { z } from 'zod';
import { MAX_NOTIFICATIONS_PER_TASK, ORIGIN_TASK_LABEL, WorkerTaskPlatform } from './task-platform';

/*
 * The TaskPlatform a task gets on the worker, on real Postgres and Redis: follow-up tasks are
 * its children in its team and bounded, every-team follow-ups only for declared types and as
 * tasks of each team, and the inventories are its team's.
 */

const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const child = defineTask({ type: 'child', description: 'a follow-up', input: z.object({ n: z.number().int() }), run: async () => null });
const parent = defineTask({ type: 'parent', description: 'queues follow-ups', input: z.object({}), everyTeamFollowUps: [{ kind: 'scanner', type: 'child' }], run: async () => null });
const registry = new PluginRegistry([definePlugin({ manifest: { id: 'test.platform', version: '1.0.0', kind: 'scanner', phases: ['build'], description: 't' }, tasks: [parent, child] })]);

let db: TestDatabase;
let queues: TaskQueues;

beforeAll(async () => {
  db = await createTestDatabase('task_platform');
  queues = new TaskQueues({ redisUrl: REDIS_URL, prefix: db.schema });
});

afterAll(async () => {
  await queues?.close();
  const redis = createRedis(REDIS_URL, 'producer');
  await deleteKeysWithPrefix(redis, db.schema).finally(() => redis.disconnect());
  await db?.drop();
});

async function platformFor(team: string, maxChildTasks: number, taskId?: string, notifications?: NotificationsPublisher): Promise<{ platform: WorkerTaskPlatform; taskId: string }> {
  const id = taskId ?? (await new TaskStore(db.dataSource, teamScope(team)).create({ kind: 'scanner', type: 'parent', input: {} })).id;
  const platform = new WorkerTaskPlatform({
    dataSource: db.dataSource,
    registry,
    queues,
    inputs: new ServerInputPolicy({ allowedPaths: [] }),
    task: { id, team, kind: 'scanner', type: 'parent' },
    definition: parent,
    maxChildTasks,
    logger: silentLogger,
    ...(notifications ? { notifications } : {}),
  });
  return { platform, taskId: id };
}

describe('WorkerTaskPlatform', () => {
  it('queues children of the task in its team, at most BULKHEAD_MAX_CHILD_TASKS over every attempt', async () => {
    const { platform, taskId } = await platformFor('blue', 2);
    const first = await platform.submitTask({ kind: 'scanner', type: 'child', input: { n: 1 } });
    // The same request while that child is queued is that child: it does not count again.
    expect((await platform.submitTask({ kind: 'scanner', type: 'child', input: { n: 1 } })).id).toBe(first.id);
    await platform.submitTask({ kind: 'scanner', type: 'child', input: { n: 2 } });
    await expect(platform.submitTask({ kind: 'scanner', type: 'child', input: { n: 3 } })).rejects.toThrow(BadInputError);
    await expect(platform.submitTask({ kind: 'scanner', type: 'child', input: { n: 3 } })).rejects.toThrow(/may queue at most 2 tasks \(BULKHEAD_MAX_CHILD_TASKS\); it has queued 2/);
    const children = await new TaskStore(db.dataSource, teamScope('blue')).list({ parentTaskId: taskId });
    expect(children.edges.map((e) => [e.node.team, e.node.input]).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)))).toEqual([
      ['blue', { n: 1 }],
      ['blue', { n: 2 }],
    ]);
    // A retried attempt (a new platform for the same task) starts from the children recorded.
    const retry = await platformFor('blue', 2, taskId);
    await expect(retry.platform.submitTask({ kind: 'scanner', type: 'child', input: { n: 4 } })).rejects.toThrow(/it has queued 2/);
    // A bad input is refused like a client's.
    const fresh = await platformFor('blue', 5);
    await expect(fresh.platform.submitTask({ kind: 'scanner', type: 'child', input: { n: 'x' } })).rejects.toThrow(/n/);
  });

  it('queues a declared type once in every team holding inventories, as that team\'s task; refuses undeclared ones', async () => {
    for (const team of ['red', 'green']) {
      await new ResultWriter(db.dataSource, null, undefined, { team }).artifact({ digest: `sha256:${'f'.repeat(64)}`, references: [], size: 0, layers: [] });
    }
    const { platform, taskId } = await platformFor('red', 10);
    const queued = await platform.submitTaskInEveryTeam({ kind: 'scanner', type: 'child', input: { n: 9 } });
    expect(queued.map((q) => q.team)).toEqual(['green', 'red']);
    for (const { team, id } of queued) {
      const task = await new TaskStore(db.dataSource, teamScope(team)).get(id);
      expect(task).toMatchObject({ team, parentTaskId: null, labels: { [ORIGIN_TASK_LABEL]: taskId }, input: { n: 9 } });
    }
    await expect(platform.submitTaskInEveryTeam({ kind: 'scanner', type: 'parent', input: {} })).rejects.toThrow(/may not queue scanner\/parent in every team: its definition does not list it in everyTeamFollowUps/);
    expect(await platform.inventories.artifactIds({ limit: 10 })).toEqual([]); // an artifact without packages is no inventory
  });

  it("announces notifications for the task's team on the installation's channel, checked and bounded", async () => {
    const publisher = new NotificationsPublisher({ redisUrl: REDIS_URL, prefix: db.schema });
    const subscriber = createRedis(REDIS_URL, 'subscriber');
    const heard: RaisedNotification[] = [];
    subscriber.on('message', (_channel: string, message: string) => {
      const raised = parseRaisedNotification(message);
      if (raised) heard.push(raised);
    });
    await subscriber.subscribe(notificationsRaisedChannel(db.schema));
    try {
      const { platform, taskId } = await platformFor('blue', 5, undefined, publisher);
      const event = { category: 'GATE_FAILED' as const, severity: 'HIGH' as const, title: 'gate failed', summary: 's', subject: 'reg/app:1' };
      await platform.notify(event);
      await platform.notify(event);
      await expect(platform.notify({ ...event, title: '' })).rejects.toThrow(/notification\.title: empty/);
      for (let i = 2; i < MAX_NOTIFICATIONS_PER_TASK; i++) await platform.notify({ ...event, subject: `reg/app:${i}` });
      await expect(platform.notify({ ...event, subject: 'one too many' })).rejects.toThrow(BadInputError);
      const deadline = Date.now() + 5_000;
      while (heard.length < MAX_NOTIFICATIONS_PER_TASK && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(heard).toHaveLength(MAX_NOTIFICATIONS_PER_TASK);
      expect(heard[0]).toMatchObject({ team: 'blue', taskId, event });
      // The same event raised twice (a retried attempt) carries the same id: delivered once.
      expect(heard[1]?.id).toBe(heard[0]?.id);
      expect(new Set(heard.map((h) => h.id)).size).toBe(MAX_NOTIFICATIONS_PER_TASK - 1);
      // A worker without the publisher says so instead of dropping the event silently.
      const bare = await platformFor('blue', 5);
      await expect(bare.platform.notify(event)).rejects.toThrow(/notifications are not available on this worker/);
    } finally {
      subscriber.disconnect();
      await publisher.close();
    }
  });
});
