import { GraphQLSchemaHost } from '@nestjs/graphql';
import { createTestDatabase, type TestDatabase } from '@bulkhead/persistence/testing';
import { definePlugin, defineTask, PluginRegistry } from '@bulkhead/plugin-sdk';
import { createRedis, deleteKeysWithPrefix, taskEventsChannel } from '@bulkhead/queue';
import { lexicographicSortSchema, printSchema } from 'graphql';
import type { Client } from 'graphql-ws';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { loadApiConfig } from './config';
import { printApiSchema } from './schema/print-schema';
import { startApi, type ApiHandle } from './start-api';
import { graphql, graphqlData } from './testing/graphql-http';
import { collectSubscription, subscriptionClient } from './testing/graphql-ws';
import { useAdminToken } from './testing/platform';
import { silentLogger } from './testing/silent-logger';

/*
 * The API without a worker: tasks stay QUEUED until cancelled, which exercises submission,
 * validation, de-duplication, pagination, cancellation and the subscription deterministically.
 */

const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';

const echoPlugin = definePlugin({
  manifest: { id: 'test.echo', version: '1.0.0', kind: 'runtime', phases: ['run'], description: 'echoes its input' },
  tasks: [
    defineTask({
      type: 'echo',
      description: 'returns the text',
      input: z.object({ text: z.string().min(1), times: z.number().int().positive().optional() }),
      run: async ({ text }) => ({ text }),
    }),
  ],
});

interface TaskFields {
  id: string;
  kind: string;
  type: string;
  status: string;
  input: unknown;
  progress: number;
}

const TASK = 'id kind type status input progress';

describe('API tasks (no worker)', () => {
  let db: TestDatabase;
  let api: ApiHandle;
  let ws: Client;
  let prefix: string;

  beforeAll(async () => {
    db = await createTestDatabase('api_tasks');
    prefix = db.schema;
    const config = loadApiConfig({ DATABASE_URL: db.url, DATABASE_SCHEMA: db.schema, REDIS_URL, BULKHEAD_QUEUE_PREFIX: prefix });
    api = await startApi({ config, registry: new PluginRegistry([echoPlugin]), dataSource: db.dataSource, port: 0, host: '127.0.0.1', logger: silentLogger() });
    await useAdminToken(api, db.dataSource);
    ws = subscriptionClient(api.url);
  });

  afterAll(async () => {
    await ws?.dispose();
    await api?.close();
    await db?.drop();
    const redis = createRedis(REDIS_URL, 'producer');
    await deleteKeysWithPrefix(redis, prefix).finally(() => redis.disconnect());
  });

  const submit = (input: unknown) =>
    graphql<{ submitTask: TaskFields }>(api.url, `mutation($input: JSON!) { submitTask(kind: RUNTIME, type: "echo", input: $input) { ${TASK} } }`, { input });

  const submitOk = async (input: unknown): Promise<TaskFields> =>
    (await graphqlData<{ submitTask: TaskFields }>(api.url, `mutation($input: JSON!) { submitTask(kind: RUNTIME, type: "echo", input: $input) { ${TASK} } }`, { input })).submitTask;

  it('serves the schema the printer prints (the committed file adds the built-in plugins: apps/api checks it)', async () => {
    const served = `${printSchema(lexicographicSortSchema(api.app.get(GraphQLSchemaHost).schema))}\n`;
    expect(served).toBe(await printApiSchema([]));
  });

  it('rejects input that does not match the task schema with BAD_USER_INPUT naming the field', async () => {
    const result = await submit({ text: '', times: 'x' });
    expect(result.data).toBeNull();
    const error = result.errors?.[0];
    expect(error?.extensions?.['code']).toBe('BAD_USER_INPUT');
    expect(error?.message).toMatch(/^invalid input for task echo: text: .*; times: /);
    expect(error?.extensions?.['issues']).toHaveLength(2);
  });

  it('rejects an unknown task type with BAD_USER_INPUT listing the available ones', async () => {
    const result = await graphql(api.url, 'mutation { submitTask(kind: RUNTIME, type: "nope", input: {}) { id } }');
    expect(result.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
    expect(result.errors?.[0]?.message).toContain('no runtime plugin handles task type "nope" (available: echo, platform-probe)');
  });

  it('records a QUEUED task, and the same request twice is one task', async () => {
    const first = await submit({ text: 'same' });
    const second = await submit({ text: 'same' });
    expect(first.data?.submitTask).toMatchObject({ kind: 'RUNTIME', type: 'echo', status: 'QUEUED', input: { text: 'same' }, progress: 0 });
    expect(second.data?.submitTask.id).toBe(first.data?.submitTask.id);
    const { task } = await graphqlData<{ task: TaskFields }>(api.url, `query($id: ID!) { task(id: $id) { ${TASK} } }`, { id: first.data?.submitTask.id });
    expect(task.id).toBe(first.data?.submitTask.id);
    const rows = await db.dataSource.query(`SELECT count(*)::int AS n FROM "${db.schema}".task WHERE input->>'text' = 'same'`);
    expect(rows[0].n).toBe(1);
  });

  it('pages through tasks with cursors, newest first', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await submitOk({ text: `page-${i}` })).id);
    const seen: string[] = [];
    const createdAt: string[] = [];
    let after: string | null = null;
    let pages = 0;
    do {
      const { tasks }: { tasks: { totalCount: number; edges: { cursor: string; node: { id: string; createdAt: string } }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } } =
        await graphqlData(
          api.url,
          `query($after: String) { tasks(filter: { kind: RUNTIME, type: "echo", status: QUEUED }, first: 2, after: $after) {
             totalCount edges { cursor node { id createdAt } } pageInfo { hasNextPage endCursor } } }`,
          { after },
        );
      expect(tasks.edges.length).toBeLessThanOrEqual(2);
      expect(tasks.totalCount).toBe(6); // the 5 above and "same"
      seen.push(...tasks.edges.map((e) => e.node.id));
      createdAt.push(...tasks.edges.map((e) => e.node.createdAt));
      after = tasks.pageInfo.hasNextPage ? tasks.pageInfo.endCursor : null;
      pages++;
    } while (after);
    expect(pages).toBe(3);
    expect(new Set(seen).size).toBe(6);
    expect(seen).toEqual(expect.arrayContaining(ids));
    expect(createdAt).toEqual([...createdAt].sort().reverse());
  });

  it('rejects a foreign cursor and a page size out of range with BAD_USER_INPUT', async () => {
    for (const query of ['{ tasks(after: "bm90LWEtY3Vyc29y") { totalCount } }', '{ tasks(first: 501) { totalCount } }', '{ task(id: "not-a-uuid") { id } }']) {
      const result = await graphql(api.url, query);
      expect(result.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
    }
  });

  it('streams a task over graphql-ws until it is cancelled, then completes', async () => {
    const task = await submitOk({ text: 'to-cancel' });
    let cancelled: Promise<unknown> | undefined;
    const updates = await collectSubscription<{ taskUpdated: { id: string; status: string; finished: boolean } }>(
      ws,
      'subscription($id: ID!) { taskUpdated(id: $id) { id status progress progressMessage finished } }',
      { id: task.id },
      {
        timeoutMs: 20_000,
        // The first update is the current state; cancel once the subscription is live.
        onNext: () => (cancelled ??= graphqlData(api.url, 'mutation($id: ID!) { cancelTask(id: $id) { status } }', { id: task.id })),
      },
    );
    await cancelled;
    expect(updates[0]?.taskUpdated).toMatchObject({ id: task.id, status: 'QUEUED', finished: false });
    expect(updates.at(-1)?.taskUpdated).toMatchObject({ id: task.id, status: 'CANCELLED', finished: true });
  });

  it('a subscription to a finished task yields its final state and completes', async () => {
    const task = await submitOk({ text: 'cancel-first' });
    await graphqlData(api.url, 'mutation($id: ID!) { cancelTask(id: $id) { id } }', { id: task.id });
    const updates = await collectSubscription<{ taskUpdated: { status: string } }>(ws, 'subscription($id: ID!) { taskUpdated(id: $id) { status } }', { id: task.id }, { timeoutMs: 10_000 });
    expect(updates).toEqual([{ taskUpdated: { status: 'CANCELLED' } }]);
  });

  it('a client that unsubscribes from a quiet task releases its Redis subscription at once', async () => {
    const task = await submitOk({ text: 'quiet' });
    const channel = taskEventsChannel(prefix, task.id);
    const redis = createRedis(REDIS_URL, 'producer');
    const subscribers = async (): Promise<number> => Number(((await redis.call('PUBSUB', 'NUMSUB', channel)) as [string, number])[1]);
    try {
      let received = 0;
      const unsubscribe = ws.subscribe({ query: 'subscription($id: ID!) { taskUpdated(id: $id) { status } }', variables: { id: task.id } }, {
        next: () => void received++,
        error: () => undefined,
        complete: () => undefined,
      });
      await until(async () => received > 0, 'the first update');
      expect(await subscribers()).toBe(1);
      unsubscribe();
      await until(async () => (await subscribers()) === 0, 'the Redis channel to be released');
    } finally {
      redis.disconnect();
    }
  });

  it('any replica serves any subscriber: an update made through one API reaches a subscriber of another', async () => {
    const config = loadApiConfig({ DATABASE_URL: db.url, DATABASE_SCHEMA: db.schema, REDIS_URL, BULKHEAD_QUEUE_PREFIX: prefix });
    const replica = await startApi({ config, registry: new PluginRegistry([echoPlugin]), dataSource: db.dataSource, port: 0, host: '127.0.0.1', logger: silentLogger() });
    await useAdminToken(replica, db.dataSource);
    const replicaWs = subscriptionClient(replica.url);
    try {
      const task = await submitOk({ text: 'cross-replica' });
      let cancelled: Promise<unknown> | undefined;
      const updates = await collectSubscription<{ taskUpdated: { status: string } }>(
        replicaWs,
        'subscription($id: ID!) { taskUpdated(id: $id) { status } }',
        { id: task.id },
        { timeoutMs: 20_000, onNext: () => (cancelled ??= graphqlData(api.url, 'mutation($id: ID!) { cancelTask(id: $id) { id } }', { id: task.id })) },
      );
      await cancelled;
      expect(updates.map((u) => u.taskUpdated.status)).toEqual(['QUEUED', 'CANCELLED']);
    } finally {
      await replicaWs.dispose();
      await replica.close();
    }
  });

  it('refuses to cancel a finished or unknown task', async () => {
    const task = await submitOk({ text: 'twice' });
    await graphqlData(api.url, 'mutation($id: ID!) { cancelTask(id: $id) { id } }', { id: task.id });
    const again = await graphql(api.url, 'mutation($id: ID!) { cancelTask(id: $id) { id } }', { id: task.id });
    expect(again.errors?.[0]?.extensions?.['code']).toBe('TASK_FINISHED');
    const unknown = await graphql(api.url, 'mutation($id: ID!) { cancelTask(id: $id) { id } }', { id: randomUUID() });
    expect(unknown.errors?.[0]?.extensions?.['code']).toBe('NOT_FOUND');
    const subscription = collectSubscription(ws, 'subscription($id: ID!) { taskUpdated(id: $id) { status } }', { id: randomUUID() }, { timeoutMs: 10_000 });
    await expect(subscription).rejects.toThrow(/does not exist/);
  });
});

async function until(condition: () => Promise<boolean>, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
