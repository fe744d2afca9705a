import { startApi, type ApiHandle } from '@bulkhead/api';
import { loadApiConfig } from '@bulkhead/api';
import { createTestToken, graphql, silentLogger, useAdminToken } from '@bulkhead/api/testing';
import { createTestDatabase, type TestDatabase } from '@bulkhead/persistence/testing';
import { definePlugin, defineTask, PluginRegistry } from '@bulkhead/plugin-sdk';
import { createRedis, deleteKeysWithPrefix } from '@bulkhead/queue';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { z } from 'zod';

/*
 * Issue 8 leftovers on the real API: the per-token task quota under concurrency, graphql-ws
 * connection attempts rate-limited per address and per token, and what the rate limiter does
 * when its Redis does not answer.
 */
jest.setTimeout(60_000);

const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';

const echoPlugin = definePlugin({
  manifest: { id: 'test.echo', version: '1.0.0', kind: 'runtime', phases: ['run'], description: 'echoes its input' },
  tasks: [defineTask({ type: 'echo', description: 'returns the text', input: z.object({ text: z.string() }), run: async ({ text }) => ({ text }) })],
});

const SUBMIT = 'mutation($input: JSON!) { submitTask(kind: RUNTIME, type: "echo", input: $input) { id } }';

/** An API (no worker: tasks stay QUEUED) on its own schema and Redis prefix. */
async function startLimitedApi(label: string, env: Record<string, string>, extra: { rateLimitRedis?: ReturnType<typeof createRedis> } = {}): Promise<{ db: TestDatabase; api: ApiHandle; stop(): Promise<void> }> {
  const db = await createTestDatabase(label);
  const config = loadApiConfig({ DATABASE_URL: db.url, DATABASE_SCHEMA: db.schema, REDIS_URL, BULKHEAD_QUEUE_PREFIX: db.schema, ...env });
  const api = await startApi({ config, registry: new PluginRegistry([echoPlugin]), dataSource: db.dataSource, port: 0, host: '127.0.0.1', logger: silentLogger(), ...extra });
  return {
    db,
    api,
    stop: async () => {
      await api.close();
      await db.drop();
      const redis = createRedis(REDIS_URL, 'producer');
      await deleteKeysWithPrefix(redis, db.schema).finally(() => redis.disconnect());
    },
  };
}

/** Opens a graphql-ws connection (from `localAddress`) and says how it ended: `open` once a subscription started, else the close event. */
async function connect(url: string, token: string, localAddress = '127.0.0.1'): Promise<{ code: number; reason: string } | 'open'> {
  const client = createClient({
    url: `${url.replace(/^http/, 'ws')}/graphql`,
    webSocketImpl: class extends WebSocket {
      constructor(address: string, protocols?: string | string[]) {
        super(address, protocols, { localAddress });
      }
    },
    lazy: true,
    retryAttempts: 0,
    connectionParams: { authorization: `Bearer ${token}` },
  });
  try {
    return await new Promise((resolve) => {
      client.on('connected', () => resolve('open'));
      client.subscribe(
        { query: 'subscription($id: ID!) { taskUpdated(id: $id) { status } }', variables: { id: '00000000-0000-0000-0000-000000000000' } },
        { next: () => undefined, error: (error) => resolve(error as { code: number; reason: string }), complete: () => undefined },
      );
    });
  } finally {
    await client.dispose();
  }
}

describe('task quota per token under concurrency', () => {
  let platform: Awaited<ReturnType<typeof startLimitedApi>>;
  beforeAll(async () => {
    platform = await startLimitedApi('api_quota_race', { BULKHEAD_MAX_QUEUED_TASKS_PER_TOKEN: '2' });
  });
  afterAll(() => platform?.stop());

  it('of 12 parallel submissions against a quota of 2, exactly 2 are queued; a finished task frees its place', async () => {
    const { api, db } = platform;
    const token = (await createTestToken(db.dataSource, 'operator')).secret;
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => graphql<{ submitTask: { id: string } }>(api.url, SUBMIT, { input: { text: `race-${i}` } }, { token })));
    const queued = results.filter((r) => r.data?.submitTask.id);
    expect(queued).toHaveLength(2);
    expect(results.filter((r) => r.errors?.[0]?.extensions?.['code'] === 'RATE_LIMITED')).toHaveLength(10);
    const [{ n }] = await db.dataSource.query<[{ n: number }]>(`SELECT count(*)::int AS n FROM task WHERE status = 'QUEUED'`);
    expect(n).toBe(2);
    // Refused and deduplicated submissions gave their reservations back: after one cancel, exactly one more fits.
    await useAdminToken(api, db.dataSource);
    await graphql(api.url, 'mutation($id: ID!) { cancelTask(id: $id) { id } }', { id: queued[0]?.data?.submitTask.id });
    const again = await Promise.all(Array.from({ length: 6 }, (_, i) => graphql<{ submitTask: { id: string } }>(api.url, SUBMIT, { input: { text: `again-${i}` } }, { token })));
    expect(again.filter((r) => r.data?.submitTask.id)).toHaveLength(1);
  });
});

describe('graphql-ws connection attempts are rate-limited', () => {
  let platform: Awaited<ReturnType<typeof startLimitedApi>>;
  beforeAll(async () => {
    platform = await startLimitedApi('api_ws_limit', { BULKHEAD_RATE_LIMIT: '3', BULKHEAD_RATE_LIMIT_WINDOW_SECONDS: '60' });
  });
  afterAll(() => platform?.stop());

  it('per client address, then per token, closing with 4429 and when to retry', async () => {
    const { api, db } = platform;
    const first = (await createTestToken(db.dataSource, 'viewer')).secret;
    const second = (await createTestToken(db.dataSource, 'viewer')).secret;
    // Three attempts from 127.0.0.1 with the first token: all served.
    for (let i = 0; i < 3; i++) expect(await connect(api.url, first)).toBe('open');
    // A fourth from that address, whatever the token: refused before the token is looked at.
    expect(await connect(api.url, second)).toMatchObject({ code: 4429, reason: expect.stringMatching(/^Too many connection attempts: retry in \d+ s$/) });
    // From another address the first token is over its own limit; the second token is not.
    expect(await connect(api.url, first, '127.0.0.2')).toMatchObject({ code: 4429 });
    expect(await connect(api.url, second, '127.0.0.3')).toBe('open');
  });
});

describe('rate limiter whose Redis does not answer', () => {
  let platform: Awaited<ReturnType<typeof startLimitedApi>>;
  let deadRedis: ReturnType<typeof createRedis>;
  beforeAll(async () => {
    // Nothing listens on port 1: every limiter command fails.
    deadRedis = createRedis('redis://127.0.0.1:1', 'producer', { retryStrategy: () => 200 });
    deadRedis.on('error', () => undefined);
    platform = await startLimitedApi('api_limiter_down', { BULKHEAD_RATE_LIMIT: '1000' }, { rateLimitRedis: deadRedis });
    await useAdminToken(platform.api, platform.db.dataSource);
  });
  afterAll(async () => {
    await platform?.stop();
    deadRedis?.disconnect();
  });

  it('lets queries and subscriptions through, refuses mutations and plain-route writes with 503 RATE_LIMITED', async () => {
    const { api } = platform;
    const started = Date.now();
    const query = await graphql<{ plugins: { id: string }[] }>(api.url, '{ plugins { id } }');
    expect(query.errors).toBeUndefined();
    expect(query.data?.plugins.map((p) => p.id)).toEqual(['test.echo', 'bulkhead.platform']);

    const mutation = await graphql(api.url, SUBMIT, { input: { text: 'not while the limiter is down' } });
    expect(mutation.status).toBe(503);
    expect(mutation.errors?.[0]).toMatchObject({ message: expect.stringMatching(/^rate limiter unavailable/), extensions: { code: 'RATE_LIMITED' } });
    const [{ n }] = await platform.db.dataSource.query<[{ n: number }]>(`SELECT count(*)::int AS n FROM task`);
    expect(n).toBe(0);

    const upload = await fetch(`${api.url}/uploads`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${(await createTestToken(platform.db.dataSource, 'operator')).secret}` }, body: '{}' });
    expect(upload.status).toBe(503);
    expect(await upload.json()).toMatchObject({ code: 'RATE_LIMITED', error: expect.stringMatching(/^rate limiter unavailable/) });
    expect(upload.headers.get('retry-after')).toBe('5');

    const token = (await createTestToken(platform.db.dataSource, 'viewer')).secret;
    expect(await connect(api.url, token)).toBe('open');
    // Each answer waited at most the limiter's timeout, not for Redis to come back.
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
