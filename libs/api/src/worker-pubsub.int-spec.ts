import { setTimeout as sleep } from 'node:timers/promises';
import { FindingEntity, TaskStatus, TaskStore, type TestDatabase } from '@bulkhead/persistence';
import { definePlugin, defineTask, PluginRegistry } from '@bulkhead/plugin-sdk';
import { runtimePlugin } from '@bulkhead/plugin-runtime';
import { createRedis, findingsRaisedChannel, FindingsPublisher } from '@bulkhead/queue';
import type { Client } from 'graphql-ws';
import { z } from 'zod';
import type { ApiHandle } from './start-api';
import { graphqlData } from './testing/graphql-http';
import { startTestPlatform, type TestPlatform } from './testing/platform';

/*
 * The API with a worker, over real Postgres and Redis: runtime alerts a worker task inserts
 * reach the API's `alertRaised` subscribers, and `cancelTask` stops a task the worker runs.
 */

jest.setTimeout(60_000);

const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';

/** When each wait task's signal aborted, by task id. */
const aborted = new Map<string, number>();
const waitPlugin = definePlugin({
  manifest: { id: 'test.wait', version: '1.0.0', kind: 'scanner', phases: ['build'], description: 'waits until aborted' },
  tasks: [
    defineTask({
      type: 'wait',
      description: 'waits `ms` unless aborted first',
      input: z.object({ ms: z.number().int().min(0) }),
      run: async (input, ctx) => {
        ctx.signal.addEventListener('abort', () => aborted.set(ctx.taskId, Date.now()), { once: true });
        await sleep(input.ms, undefined, { signal: ctx.signal });
        return { waited: input.ms };
      },
    }),
  ],
});

const RULES = `- rule: Shell in container
  desc: a shell ran in a container
  condition: evt.type = execve and proc.name = bash and container.id != host
  output: Shell in container (container=%container.id ns=%k8s.ns.name)
  priority: ERROR
  tags: [container, shell]
`;
const EVENTS = [
  { 'evt.type': 'execve', 'evt.time': '2025-04-01T08:00:00.000000001Z', 'proc.name': 'bash', 'container.id': 'feed01', 'k8s.ns.name': 'payments' },
  { 'evt.type': 'execve', 'evt.time': '2025-04-01T08:00:01.000000000Z', 'proc.name': 'bash', 'container.id': 'feed02', 'k8s.ns.name': 'billing' },
];

interface AlertNode {
  id: string;
  rule: string;
  priority: string;
  time: string;
  target: string;
  outputFields: Record<string, unknown>;
}

let platform: TestPlatform;
let db: TestDatabase;
let api: ApiHandle;
let ws: Client;
let tasks: TaskStore;

beforeAll(async () => {
  platform = await startTestPlatform({ label: 'api_worker_pubsub', registry: new PluginRegistry([runtimePlugin, waitPlugin]), kinds: ['runtime', 'scanner'], shutdownGraceMs: 2_000 });
  ({ db, api, ws } = platform);
  tasks = new TaskStore(db.dataSource);
});

afterAll(async () => {
  await platform?.stop();
});

async function submit(kind: string, type: string, input: unknown): Promise<string> {
  const data = await graphqlData<{ submitTask: { id: string } }>(api.url, 'mutation($kind: PluginKind!, $type: String!, $input: JSON!) { submitTask(kind: $kind, type: $type, input: $input) { id } }', { kind, type, input });
  return data.submitTask.id;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

const statusOf = async (id: string): Promise<TaskStatus | undefined> => (await tasks.get(id))?.status;
const finished = (id: string) => until(`task ${id} to finish`, async () => {
  const status = await statusOf(id);
  return status === TaskStatus.SUCCEEDED || status === TaskStatus.FAILED || status === TaskStatus.CANCELLED ? status : undefined;
});

describe('alerts raised by a worker task', () => {
  it('reach an alertRaised subscriber once; running the task again raises nothing and adds no rows', async () => {
    const received: AlertNode[] = [];
    const errors: unknown[] = [];
    const redis = createRedis(REDIS_URL, 'producer');
    const subscribers = async () => Number(((await redis.call('PUBSUB', 'NUMSUB', findingsRaisedChannel(db.schema))) as [string, number])[1]);
    const baseline = await subscribers();
    const unsubscribe = ws.subscribe<{ alertRaised: AlertNode }>(
      { query: 'subscription { alertRaised(filter: { namespace: "payments" }) { id rule priority time target outputFields } }' },
      { next: (result) => (result.data ? received.push(result.data.alertRaised) : errors.push(result.errors)), error: (e) => errors.push(e), complete: () => undefined },
    );
    const marker = new FindingsPublisher({ redisUrl: REDIS_URL, prefix: db.schema });
    try {
      await until('the subscription to reach Redis', async () => ((await subscribers()) > baseline ? true : undefined));
      const input = { rules: { inline: RULES }, events: { inline: EVENTS } };
      const first = await submit('RUNTIME', 'evaluate-events', input);
      expect(await finished(first)).toBe(TaskStatus.SUCCEEDED);
      await until('the alert', async () => (received.length > 0 ? true : undefined));
      const rows = await db.dataSource.manager.find(FindingEntity, { where: { kind: 'runtime' }, order: { target: 'ASC' } });
      expect(rows.map((r) => r.target)).toEqual(['container:feed01', 'container:feed02']);
      // Only the payments one matches the filter.
      expect(received).toEqual([
        { id: rows[0]?.id, rule: 'Shell in container', priority: 'ERROR', time: '2025-04-01T08:00:00.000000001Z', target: 'container:feed01', outputFields: { 'container.id': 'feed01', 'k8s.ns.name': 'payments' } },
      ]);

      const second = await submit('RUNTIME', 'evaluate-events', input);
      expect(second).not.toBe(first);
      expect(await finished(second)).toBe(TaskStatus.SUCCEEDED);
      // Published after the second task finished: heard after anything that task published.
      const markerAlert = { rule: 'marker', output: 'marker', priority: 'Error', source: 'syscall', tags: [], time: '2025-04-01T09:00:00.000000000Z', output_fields: { 'k8s.ns.name': 'payments' } };
      const now = new Date();
      await marker.publish([
        {
          id: 'marker',
          kind: 'runtime',
          severity: 'HIGH',
          ruleId: 'marker',
          title: 'marker',
          target: 'host:marker',
          location: null,
          data: markerAlert,
          fingerprint: 'marker',
          taskId: null,
          status: 'OPEN',
          reopened: false,
          firstSeenAt: now,
          lastSeenAt: now,
          resolvedAt: null,
        },
      ]);
      await until('the marker', async () => (received.some((a) => a.id === 'marker') ? true : undefined));
      expect(received.map((a) => a.id)).toEqual([rows[0]?.id, 'marker']);
      expect(await db.dataSource.manager.countBy(FindingEntity, { kind: 'runtime' })).toBe(2);
      expect(errors).toEqual([]);
    } finally {
      unsubscribe();
      await marker.close();
      redis.disconnect();
    }
  });
});

describe('cancelTask on a running task', () => {
  it('aborts it in the worker; the task stays CANCELLED and the worker runs the next one', async () => {
    const id = await submit('SCANNER', 'wait', { ms: 30_000 });
    await until('the task to run', async () => ((await statusOf(id)) === TaskStatus.RUNNING ? true : undefined));
    const cancelledAt = Date.now();
    const data = await graphqlData<{ cancelTask: { status: string } }>(api.url, 'mutation($id: ID!) { cancelTask(id: $id) { status } }', { id });
    expect(data.cancelTask.status).toBe('CANCELLED');
    const abortedAt = await until('the plugin to see the abort', async () => aborted.get(id), 2_000);
    expect(abortedAt - cancelledAt).toBeLessThan(1_500);

    const next = await submit('SCANNER', 'wait', { ms: 10 });
    expect(await finished(next)).toBe(TaskStatus.SUCCEEDED);
    expect(await tasks.get(id)).toMatchObject({ status: TaskStatus.CANCELLED, attempts: 1, result: null });
  });
});
