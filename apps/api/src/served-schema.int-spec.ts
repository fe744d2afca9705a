import { loadApiConfig, REGENERATE_SCHEMA_COMMAND, SCHEMA_FILE, startApi, type ApiHandle } from '@bulkhead/api';
import { silentLogger } from '@bulkhead/api/testing';
import { builtinPluginPackages, registryOf } from '@bulkhead/builtin-plugins';
import { createTestDatabase, type TestDatabase } from '@bulkhead/persistence';
import { createRedis, deleteKeysWithPrefix } from '@bulkhead/queue';
import { GraphQLSchemaHost } from '@nestjs/graphql';
import { lexicographicSortSchema, printSchema } from 'graphql';
import { readFileSync } from 'node:fs';

/*
 * The API with every built-in plugin's api entry serves exactly the committed schema (the unit
 * drift test checks the printer; this checks what a running server answers).
 */

const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';

describe('the served schema', () => {
  let db: TestDatabase;
  let api: ApiHandle;

  beforeAll(async () => {
    db = await createTestDatabase('served_schema');
    const env = { DATABASE_URL: db.url, DATABASE_SCHEMA: db.schema, REDIS_URL, BULKHEAD_QUEUE_PREFIX: db.schema };
    const plugins = builtinPluginPackages();
    api = await startApi({ config: loadApiConfig(env), env, registry: registryOf(plugins), plugins, dataSource: db.dataSource, port: 0, host: '127.0.0.1', logger: silentLogger() });
  });

  afterAll(async () => {
    await api?.close();
    await db?.drop();
    const redis = createRedis(REDIS_URL, 'producer');
    await deleteKeysWithPrefix(redis, db.schema).finally(() => redis.disconnect());
  });

  it('is the committed schema', () => {
    const served = `${printSchema(lexicographicSortSchema(api.app.get(GraphQLSchemaHost).schema))}\n`;
    expect({ schemaMatches: served === readFileSync(SCHEMA_FILE, 'utf8'), regenerate: REGENERATE_SCHEMA_COMMAND }).toEqual({ schemaMatches: true, regenerate: REGENERATE_SCHEMA_COMMAND });
  });
});
