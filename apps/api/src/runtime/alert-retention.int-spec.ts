import { startApi, type ApiHandle } from '@bulkhead/api';
import { graphqlData, httpPost, silentLogger, useAdminToken } from '@bulkhead/api/testing';
import { builtinPluginPackages } from '@bulkhead/builtin-plugins';
import { createTestDatabase, type TestDatabase } from '@bulkhead/persistence/testing';
import { PluginRegistry } from '@bulkhead/plugin-sdk';
import { AlertRetention } from '@bulkhead/plugin-runtime/api';
import { createRedis, deleteKeysWithPrefix } from '@bulkhead/queue';
import { REDIS_URL } from './testing';

/* BULKHEAD_ALERT_RETENTION_DAYS: runtime alerts last seen longer ago are deleted; others stay. */

function falcoAlert(rule: string): Record<string, unknown> {
  return { time: new Date().toISOString(), rule, priority: 'Warning', output: `${rule} happened`, output_fields: { 'proc.name': 'sh' }, source: 'syscall', hostname: 'node-1' };
}

describe('runtime alert retention', () => {
  let db: TestDatabase;
  let api: ApiHandle;

  beforeAll(async () => {
    db = await createTestDatabase('alert_retention');
    api = await startApi({
      registry: new PluginRegistry(),
      plugins: builtinPluginPackages(),
      env: { DATABASE_URL: db.url, DATABASE_SCHEMA: db.schema, REDIS_URL, BULKHEAD_QUEUE_PREFIX: db.schema, BULKHEAD_ALERT_RETENTION_DAYS: '30' },
      dataSource: db.dataSource,
      port: 0,
      host: '127.0.0.1',
      logger: silentLogger(),
    });
    await useAdminToken(api, db.dataSource);
  });

  afterAll(async () => {
    await api.close();
    await db.drop();
    const redis = createRedis(REDIS_URL, 'producer');
    await deleteKeysWithPrefix(redis, db.schema).finally(() => redis.disconnect());
  });

  it('deletes runtime alerts not seen for more than the retention, and nothing else', async () => {
    const posted = await httpPost(api.url, '/falco-alerts', JSON.stringify([falcoAlert('Old rule'), falcoAlert('Recent rule')]), { contentType: 'application/json' });
    expect(posted.status).toBe(200);
    await db.dataSource.query(`UPDATE finding SET last_seen_at = now() - interval '31 days' WHERE rule_id = 'Old rule'`);
    await db.dataSource.query(`UPDATE finding SET last_seen_at = now() - interval '29 days' WHERE rule_id = 'Recent rule'`);

    expect(await api.app.get(AlertRetention, { strict: false }).prune()).toBe(1);

    const left = await graphqlData<{ alerts: { edges: { node: { rule: string } }[] } }>(api.url, '{ alerts { edges { node { rule } } } }');
    expect(left.alerts.edges.map((e) => e.node.rule)).toEqual(['Recent rule']);
  });
});
