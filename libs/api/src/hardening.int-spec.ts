import { createTestDatabase, type TestDatabase } from '@bulkhead/persistence/testing';
import { definePlugin, defineTask, PluginRegistry } from '@bulkhead/plugin-sdk';
import { createRedis, deleteKeysWithPrefix } from '@bulkhead/queue';
import WebSocket from 'ws';
import { z } from 'zod';
import { loadApiConfig } from './config';
import { startApi, type ApiHandle } from './start-api';
import { authHeaders, graphql, setDefaultToken } from './testing/graphql-http';
import { subscriptionClient } from './testing/graphql-ws';
import { createTestToken, useAdminToken } from './testing/platform';
import { silentLogger } from './testing/silent-logger';

/* Rate limits shared by replicas through Redis, and the graphql-ws subscription cap. */

const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';

const echoPlugin = definePlugin({
  manifest: { id: 'test.echo', version: '1.0.0', kind: 'runtime', phases: ['run'], description: 'echoes its input' },
  tasks: [defineTask({ type: 'echo', description: 'returns the text', input: z.object({ text: z.string() }), run: async ({ text }) => ({ text }) })],
});

describe('API hardening: rate limits and graphql-ws caps', () => {
  let db: TestDatabase;
  let replicas: ApiHandle[];

  beforeAll(async () => {
    db = await createTestDatabase('api_harden');
    const config = loadApiConfig({
      DATABASE_URL: db.url,
      DATABASE_SCHEMA: db.schema,
      REDIS_URL,
      BULKHEAD_QUEUE_PREFIX: db.schema,
      BULKHEAD_RATE_LIMIT: '10',
      BULKHEAD_RATE_LIMIT_WINDOW_SECONDS: '60',
      BULKHEAD_WS_MAX_SUBSCRIPTIONS: '2',
      BULKHEAD_MAX_WS_MESSAGE_BYTES: '4096',
    });
    const start = () => startApi({ config, registry: new PluginRegistry([echoPlugin]), dataSource: db.dataSource, port: 0, host: '127.0.0.1', logger: silentLogger() });
    replicas = [await start(), await start()];
    // One token for both: its requests count against it on whichever replica they reach.
    const token = await useAdminToken(replicas[0] as ApiHandle, db.dataSource);
    setDefaultToken((replicas[1] as ApiHandle).url, token);
  });

  afterAll(async () => {
    for (const api of replicas) await api.close();
    await db.drop();
    const redis = createRedis(REDIS_URL, 'producer');
    await deleteKeysWithPrefix(redis, db.schema).finally(() => redis.disconnect());
  });

  it('caps subscriptions per graphql-ws connection', async () => {
    const [api] = replicas;
    if (!api) throw new Error('no api');
    const ws = subscriptionClient(api.url);
    const subscribe = (id: string) =>
      new Promise<unknown>((resolve, reject) => {
        ws.subscribe({ query: `subscription { taskUpdated(id: "${id}") { id } }` }, { next: resolve, error: reject, complete: () => resolve('completed') });
        setTimeout(() => resolve('open'), 1_000);
      });
    const ids = ['00000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-000000000002', '00000000-0000-4000-8000-000000000003'];
    const [first, second, third] = await Promise.allSettled(ids.map(subscribe));
    expect(first).toMatchObject({ status: 'fulfilled' });
    expect(second).toMatchObject({ status: 'fulfilled' });
    expect(third).toMatchObject({ status: 'rejected', reason: [expect.objectContaining({ message: expect.stringContaining('at most 2 are allowed (BULKHEAD_WS_MAX_SUBSCRIPTIONS)') })] });
    await ws.dispose();
  });

  it('closes a graphql-ws connection that sends a message over BULKHEAD_MAX_WS_MESSAGE_BYTES (1009)', async () => {
    const [api] = replicas;
    if (!api) throw new Error('no api');
    const socket = new WebSocket(`${api.url.replace(/^http/, 'ws')}/graphql`, 'graphql-transport-ws');
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    const closed = new Promise<number>((resolve) => socket.once('close', (code: number) => resolve(code)));
    socket.send(JSON.stringify({ type: 'connection_init', payload: { padding: 'x'.repeat(8192) } }));
    expect(await closed).toBe(1009);
  });

  it('counts requests per client across replicas and answers 429 RATE_LIMITED with Retry-After', async () => {
    const [a, b] = replicas;
    if (!a || !b) throw new Error('no api');
    // 10 per window in all: some spent above (graphql-ws upgrades do not count), the rest here, alternating replicas.
    const answers = [];
    for (let i = 0; i < 12; i++) answers.push(await fetch(`${(i % 2 ? b : a).url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...authHeaders(a.url) }, body: JSON.stringify({ query: '{ plugins { id } }' }) }));
    const statuses = answers.map((r) => r.status);
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(200));
    expect(statuses.slice(10)).toEqual([429, 429]);
    const refused = answers[10];
    expect(Number(refused?.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await refused?.json()).toEqual({ errors: [{ message: expect.stringMatching(/^rate limit of 10 requests per 60 s exceeded; retry in \d+ s \(BULKHEAD_RATE_LIMIT\)$/), extensions: { code: 'RATE_LIMITED' } }] });
    // Health probes are never limited.
    expect((await fetch(`${a.url}/healthz`)).status).toBe(200);
    const viaHelper = await graphql(b.url, '{ plugins { id } }');
    expect(viaHelper.status).toBe(429);
  });
});

describe('API hardening: tasks queued per token', () => {
  let db: TestDatabase;
  let api: ApiHandle;

  beforeAll(async () => {
    db = await createTestDatabase('api_quota');
    const config = loadApiConfig({ DATABASE_URL: db.url, DATABASE_SCHEMA: db.schema, REDIS_URL, BULKHEAD_QUEUE_PREFIX: db.schema, BULKHEAD_MAX_QUEUED_TASKS_PER_TOKEN: '2' });
    api = await startApi({ config, registry: new PluginRegistry([echoPlugin]), dataSource: db.dataSource, port: 0, host: '127.0.0.1', logger: silentLogger() });
    await useAdminToken(api, db.dataSource);
  });

  afterAll(async () => {
    await api.close();
    await db.drop();
    const redis = createRedis(REDIS_URL, 'producer');
    await deleteKeysWithPrefix(redis, db.schema).finally(() => redis.disconnect());
  });

  const submit = (text: string) =>
    graphql<{ submitTask: { id: string } }>(api.url, 'mutation($input: JSON!) { submitTask(kind: RUNTIME, type: "echo", input: $input) { id } }', { input: { text } });

  it('refuses a token a third unfinished task (RATE_LIMITED naming the setting) until one finishes', async () => {
    // No worker: tasks stay QUEUED.
    const first = await submit('one');
    await submit('two');
    const third = await submit('three');
    expect(third.errors?.[0]).toMatchObject({
      message: 'this API token already has 2 queued or running tasks (BULKHEAD_MAX_QUEUED_TASKS_PER_TOKEN); wait for some to finish',
      extensions: { code: 'RATE_LIMITED' },
    });
    await graphql(api.url, 'mutation($id: ID!) { cancelTask(id: $id) { id } }', { id: first.data?.submitTask.id });
    const fourth = await submit('four');
    expect(fourth.data?.submitTask.id).toBeDefined();
    // Another token has its own quota.
    const other = await createTestToken(db.dataSource, 'operator');
    const otherSubmit = await graphql<{ submitTask: { id: string } }>(api.url, 'mutation { submitTask(kind: RUNTIME, type: "echo", input: {text: "five"}) { id } }', {}, { token: other.secret });
    expect(otherSubmit.data?.submitTask.id).toBeDefined();
  });
});
