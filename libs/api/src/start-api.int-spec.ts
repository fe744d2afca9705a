import { definePlugin, defineTask, PluginRegistry } from '@bulkhead/plugin-sdk';
import { createDataSource } from '@bulkhead/persistence';
import { createTestDatabase, type TestDatabase } from '@bulkhead/persistence/testing';
import { z } from 'zod';
import { loadApiConfig } from './config';
import { ApiStartupError } from './startup/startup-error';
import { startApi, type ApiHandle } from './start-api';
import { graphqlData } from './testing/graphql-http';
import { useAdminToken } from './testing/platform';
import { silentLogger } from './testing/silent-logger';

const DATABASE_URL = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';

const echoPlugin = definePlugin({
  manifest: { id: 'test.echo', version: '1.2.3', kind: 'runtime', phases: ['run'], description: 'echoes its input' },
  tasks: [defineTask({ type: 'echo', description: 'returns the text', input: z.object({ text: z.string().min(1) }), run: async ({ text }) => ({ text }) })],
});

describe('startApi (API side)', () => {
  let db: TestDatabase;
  let api: ApiHandle;

  beforeAll(async () => {
    // A schema of our own; startApi connects to it itself and runs migrations (already applied: a no-op).
    db = await createTestDatabase('api_start');
    const schema = db.schema;
    const config = loadApiConfig({ DATABASE_URL, REDIS_URL, DATABASE_SCHEMA: schema, BULKHEAD_QUEUE_PREFIX: schema });
    api = await startApi({ config, registry: new PluginRegistry([echoPlugin]), port: 0, host: '127.0.0.1', logger: silentLogger() });
    await useAdminToken(api, db.dataSource);
  });

  afterAll(async () => {
    await api?.close();
    await db?.drop();
  });

  it('answers /healthz and /readyz', async () => {
    const health = await fetch(`${api.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${api.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ok', checks: { postgres: 'ok', redis: 'ok' } });
  });

  it('lists plugins with the JSON Schema of each task input', async () => {
    const { plugins } = await graphqlData<{ plugins: { id: string; kind: string; phases: string[]; tasks: { type: string; inputSchema: { required?: string[] } }[] }[] }>(
      api.url,
      '{ plugins { id version kind phases description tasks { type description inputSchema } } }',
    );
    // The given plugin, and the platform's own (the canary task every API and worker can run).
    expect(plugins.map((p) => p.id)).toEqual(['test.echo', 'bulkhead.platform']);
    expect(plugins[0]).toMatchObject({ id: 'test.echo', kind: 'RUNTIME', phases: ['RUN'] });
    expect(plugins[0]?.tasks[0]).toMatchObject({ type: 'echo', inputSchema: { type: 'object', required: ['text'] } });
  });
});

describe('/readyz when a backing service is lost', () => {
  it('answers 503 naming the failed dependency', async () => {
    const db = await createTestDatabase('api_ready');
    // A data source of the API's own (shared in, so the test can break it) on the test schema.
    const shared = createDataSource({ url: db.url, schema: db.schema, poolSize: 1 });
    await shared.initialize();
    const config = loadApiConfig({ DATABASE_URL, REDIS_URL, DATABASE_SCHEMA: db.schema, BULKHEAD_QUEUE_PREFIX: db.schema });
    const api = await startApi({ config, registry: new PluginRegistry(), dataSource: shared, port: 0, host: '127.0.0.1', logger: silentLogger() });
    try {
      expect((await fetch(`${api.url}/readyz`)).status).toBe(200);
      await shared.destroy();
      const ready = await fetch(`${api.url}/readyz`);
      expect(ready.status).toBe(503);
      const body = (await ready.json()) as { status: string; failed: string[]; checks: Record<string, string> };
      expect(body).toMatchObject({ status: 'unavailable: postgres failed', failed: ['postgres'], checks: { redis: 'ok' } });
      expect(body.checks['postgres']).not.toBe('ok');
      expect((await fetch(`${api.url}/healthz`)).status).toBe(200);
    } finally {
      await api.close();
      await db.drop();
    }
  });
});

describe('startApi with unreachable services', () => {
  it('names the Postgres URL and how to provide one', async () => {
    const config = loadApiConfig({ DATABASE_URL: 'postgres://bulkhead:secret@127.0.0.1:1/none', REDIS_URL });
    const error = await startApi({ config, registry: new PluginRegistry(), port: 0, logger: silentLogger() }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiStartupError);
    expect((error as Error).message).toMatch(/cannot connect to Postgres at postgres:\/\/bulkhead:\*\*\*@127\.0\.0\.1:1\/none .*DATABASE_URL.*docker compose -f docker\/compose\.yaml up -d postgres/);
  });

  it('names the Redis URL and how to provide one', async () => {
    const db = await createTestDatabase('api_noredis');
    const config = loadApiConfig({ DATABASE_URL, DATABASE_SCHEMA: db.schema, REDIS_URL: 'redis://127.0.0.1:1' });
    try {
      const error = await startApi({ config, registry: new PluginRegistry(), port: 0, logger: silentLogger() }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ApiStartupError);
      expect((error as Error).message).toMatch(/cannot connect to Redis at redis:\/\/127\.0\.0\.1:1 .*REDIS_URL.*docker compose -f docker\/compose\.yaml up -d redis/);
    } finally {
      await db.drop();
    }
  });
});
