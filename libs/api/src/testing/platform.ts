import { createTestDatabase, type TestDatabase } from '@bulkhead/persistence/testing';
import type { PluginKind, PluginRegistry } from '@bulkhead/plugin-sdk';
import { createRedis, deleteKeysWithPrefix, ServerInputPolicy } from '@bulkhead/queue';
import { startWorker, type WorkerHost } from '@bulkhead/worker';
import { ApiTokenStore } from '@bulkhead/persistence';
import type { Client } from 'graphql-ws';
import type { DataSource } from 'typeorm';
import { loadApiConfig } from '../config';
import type { ApiPluginPackage } from '../plugin-apis/load-plugin-apis';
import { startApi, type ApiHandle } from '../start-api';
import { setDefaultToken } from './graphql-http';
import { subscriptionClient } from './graphql-ws';
import { silentLogger } from './silent-logger';

const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';

export type TestRole = 'viewer' | 'operator' | 'admin';

/** A new API token in the test database: its id and (the only copy of) its secret. */
export async function createTestToken(dataSource: DataSource, role: TestRole, team = 'default', expiresAt: Date | null = null): Promise<{ id: string; secret: string }> {
  const { token, secret } = await new ApiTokenStore(dataSource).create({ name: `test-${role}`, team, role, expiresAt, createdBy: 'test' });
  return { id: token.id, secret };
}

/**
 * For a test that starts the API itself: creates an admin token of team `default` and makes it
 * the one graphql()/graphqlData()/subscriptionClient()/authHeaders() send to this API. Returns the secret.
 */
export async function useAdminToken(api: { url: string }, dataSource: DataSource): Promise<string> {
  const { secret } = await createTestToken(dataSource, 'admin');
  setDefaultToken(api.url, secret);
  return secret;
}

export interface TestPlatform {
  db: TestDatabase;
  api: ApiHandle;
  worker: WorkerHost;
  ws: Client;
  /** The secret of an admin token of team `default`, which graphql()/graphqlData()/subscriptionClient() send by default for this API. */
  adminToken: string;
  /** Creates another token (a secret) of `role` in `team` (default `default`). */
  createToken(role: TestRole, team?: string, expiresAt?: Date | null): Promise<{ id: string; secret: string }>;
  /** Stops everything and removes only what it created (its schema and Redis key prefix). */
  stop(): Promise<void>;
}

/**
 * For integration tests: the real API and a real worker in this process, sharing a fresh
 * database schema; the schema name is also the Redis key prefix, so suites run in parallel.
 */
export async function startTestPlatform(options: {
  label: string;
  registry: PluginRegistry;
  /** Plugin packages whose api entries the API loads (default none). */
  plugins?: readonly ApiPluginPackage[];
  kinds: PluginKind[];
  shutdownGraceMs?: number;
  /** More variables for the API and its plugins' configuration (e.g. BULKHEAD_RUNTIME_RULES). */
  env?: Record<string, string>;
  /**
   * The server's input policy, shared by the API and the worker. Default: every existing path
   * allowed (suites about other features scan fixtures anywhere); confinement tests pass theirs.
   */
  inputs?: ServerInputPolicy;
  /** Jobs at once per kind on the worker (default 1 each), e.g. room beside a long-running watch task. */
  concurrency?: Partial<Record<PluginKind, number>>;
}): Promise<TestPlatform> {
  const db = await createTestDatabase(options.label);
  const env = { DATABASE_URL: db.url, DATABASE_SCHEMA: db.schema, REDIS_URL, BULKHEAD_QUEUE_PREFIX: db.schema, ...options.env };
  const config = loadApiConfig(env);
  const inputs = options.inputs ?? new ServerInputPolicy({ allowedPaths: ['/'] });
  const api = await startApi({ config, env, inputs, registry: options.registry, plugins: options.plugins ?? [], dataSource: db.dataSource, port: 0, host: '127.0.0.1', logger: silentLogger() });
  const worker = await startWorker({
    registry: options.registry,
    inputs,
    database: { dataSource: db.dataSource },
    redisUrl: REDIS_URL,
    queuePrefix: db.schema,
    kinds: options.kinds,
    shutdownGraceMs: options.shutdownGraceMs ?? 5_000,
    ...(options.concurrency ? { concurrency: options.concurrency } : {}),
  });
  const createToken = (role: TestRole, team = 'default', expiresAt: Date | null = null) => createTestToken(db.dataSource, role, team, expiresAt);
  const adminToken = await useAdminToken(api, db.dataSource);
  const ws = subscriptionClient(api.url);
  return {
    db,
    api,
    worker,
    ws,
    adminToken,
    createToken,
    stop: async () => {
      setDefaultToken(api.url, undefined);
      await ws.dispose();
      await worker.stop();
      await api.close();
      await db.drop();
      const redis = createRedis(REDIS_URL, 'producer');
      await deleteKeysWithPrefix(redis, db.schema).finally(() => redis.disconnect());
    },
  };
}
