import { createTestDatabase, type TestDatabase } from '@bulkhead/persistence/testing';
import type { PluginKind, PluginRegistry } from '@bulkhead/plugin-sdk';
import type { HostRequestContext } from '@bulkhead/plugin-sdk/api';
import { createRedis, deleteKeysWithPrefix } from '@bulkhead/queue';
import { startWorker, type WorkerHost } from '@bulkhead/worker';
import type { Client } from 'graphql-ws';
import { loadApiConfig } from '../config';
import type { ApiPluginPackage } from '../plugin-apis/load-plugin-apis';
import { startApi, type ApiHandle } from '../start-api';
import { subscriptionClient } from './graphql-ws';
import { silentLogger } from './silent-logger';

const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';

export interface TestPlatform {
  db: TestDatabase;
  api: ApiHandle;
  worker: WorkerHost;
  ws: Client;
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
  /** Whose requests the API serves (default: no principal, the team `default`). */
  requestContext?: HostRequestContext;
}): Promise<TestPlatform> {
  const db = await createTestDatabase(options.label);
  const config = loadApiConfig({ DATABASE_URL: db.url, DATABASE_SCHEMA: db.schema, REDIS_URL, BULKHEAD_QUEUE_PREFIX: db.schema });
  const api = await startApi({
    config,
    registry: options.registry,
    plugins: options.plugins ?? [],
    dataSource: db.dataSource,
    port: 0,
    host: '127.0.0.1',
    logger: silentLogger(),
    ...(options.requestContext ? { requestContext: options.requestContext } : {}),
  });
  const worker = await startWorker({
    registry: options.registry,
    database: { dataSource: db.dataSource },
    redisUrl: REDIS_URL,
    queuePrefix: db.schema,
    kinds: options.kinds,
    shutdownGraceMs: options.shutdownGraceMs ?? 5_000,
  });
  const ws = subscriptionClient(api.url);
  return {
    db,
    api,
    worker,
    ws,
    stop: async () => {
      await ws.dispose();
      await worker.stop();
      await api.close();
      await db.drop();
      const redis = createRedis(REDIS_URL, 'producer');
      await deleteKeysWithPrefix(redis, db.schema).finally(() => redis.disconnect());
    },
  };
}
