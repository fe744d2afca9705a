import { createLogger } from '@bulkhead/common';
import { createTestDatabase, type TestDatabase } from '@bulkhead/persistence/testing';
import { BadInputError, definePlugin, defineTask, PluginRegistry } from '@bulkhead/plugin-sdk';
import { createRedis, deleteKeysWithPrefix, ServerInputPolicy } from '@bulkhead/queue';
import { startWorker, type WorkerHost } from '@bulkhead/worker';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { loadApiConfig } from '../config';
import { startApi, type ApiHandle } from '../start-api';
import { graphqlData } from '../testing/graphql-http';
import { createTestToken, useAdminToken } from '../testing/platform';
import { silentLogger } from '../testing/silent-logger';

/*
 * GET /metrics and /admin/queues against the real API, Postgres, Redis and worker: queue figures
 * while tasks wait with no worker, then task, failure, latency, finding and alert figures after a
 * worker ran them; and who may read either route.
 */

const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const METRICS_TOKEN = 'metrics-token-0123456789abcdef0123456789abcdef';
const NAP_MS = 700;

const plugin = definePlugin({
  manifest: { id: 'test.metrics', version: '1.0.0', kind: 'scanner', phases: ['build'], description: 'tasks of known outcome and duration for the metrics test' },
  tasks: [
    defineTask({ type: 'quick', description: 'returns at once', input: z.object({ n: z.number().int() }), run: async ({ n }) => ({ n }) }),
    defineTask({ type: 'nap', description: 'sleeps', input: z.object({ ms: z.number().int().min(0) }), run: async ({ ms }) => (await sleep(ms), { slept: ms }) }),
    defineTask({
      type: 'boom',
      description: 'fails for good',
      input: z.object({}),
      run: async () => {
        throw new BadInputError('boom on purpose');
      },
    }),
    defineTask({
      type: 'report',
      description: 'records 3 scanner findings and 3 runtime alerts on one artifact',
      input: z.object({ digest: z.string() }),
      run: async ({ digest }, ctx) => {
        await ctx.emit.artifact({ digest, references: [`test:${digest}`], size: 1, layers: [] });
        await ctx.emit.findings([
          ...['a', 'b', 'c'].map((name) => ({ kind: 'scanner' as const, severity: 'LOW' as const, ruleId: `R-${name}`, title: name, target: digest, location: name })),
          ...['1', '2'].map((at) => ({ kind: 'runtime' as const, severity: 'HIGH' as const, ruleId: 'Terminal shell in container', title: 'shell', target: digest, location: `pod-${at}` })),
          { kind: 'runtime' as const, severity: 'MEDIUM' as const, ruleId: 'Write below etc', title: 'etc', target: digest, location: 'pod-3' },
        ]);
        return {};
      },
    }),
  ],
});

/** Parses the exposition text into `name{a="b",...}` → value, labels sorted, for exact lookups. */
function parseExposition(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) throw new Error(`unparseable exposition line: ${line}`);
    const labels = [...(match[2] ?? '').matchAll(/([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"/g)].map(([, k, v]) => `${k}="${v}"`).sort();
    samples.set(`${match[1]}{${labels.join(',')}}`, Number(match[3]));
  }
  return samples;
}

function key(name: string, labels: Record<string, string>): string {
  return `${name}{${Object.entries(labels).map(([k, v]) => `${k}="${v}"`).sort().join(',')}}`;
}

describe('GET /metrics and /admin/queues', () => {
  let db: TestDatabase;
  let api: ApiHandle;
  let worker: WorkerHost | undefined;
  let admin: string;
  const inputs = new ServerInputPolicy({ allowedPaths: ['/'] });

  beforeAll(async () => {
    db = await createTestDatabase('api_metrics');
    const env = { DATABASE_URL: db.url, DATABASE_SCHEMA: db.schema, REDIS_URL, BULKHEAD_QUEUE_PREFIX: db.schema, BULKHEAD_METRICS_TOKEN: METRICS_TOKEN };
    api = await startApi({ config: loadApiConfig(env), env, inputs, registry: new PluginRegistry([plugin]), dataSource: db.dataSource, port: 0, host: '127.0.0.1', logger: silentLogger() });
    admin = await useAdminToken(api, db.dataSource);
  });

  afterAll(async () => {
    await worker?.stop();
    await api?.close();
    await db?.drop();
    const redis = createRedis(REDIS_URL, 'producer');
    await deleteKeysWithPrefix(redis, db.schema).finally(() => redis.disconnect());
  });

  const get = (path: string, token?: string) => fetch(`${api.url}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });

  const scrape = async (token = admin): Promise<Map<string, number>> => {
    const response = await get('/metrics', token);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain');
    return parseExposition(await response.text());
  };

  const submit = async (type: string, input: unknown): Promise<string> =>
    (await graphqlData<{ submitTask: { id: string } }>(api.url, `mutation($type: String!, $input: JSON!) { submitTask(kind: SCANNER, type: $type, input: $input) { id } }`, { type, input })).submitTask.id;

  const waitFinished = async (ids: string[]): Promise<void> => {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const rows: { n: string }[] = await db.dataSource.query(`SELECT count(*) AS n FROM "task" WHERE "id" = ANY($1) AND "finished_at" IS NOT NULL`, [ids]);
      if (Number(rows[0]?.n) === ids.length) return;
      if (Date.now() > deadline) throw new Error(`tasks not finished within 60 s: ${ids.join(', ')}`);
      await sleep(100);
    }
  };

  it('refuses anonymous, unknown, viewer and operator credentials; admits admin tokens and the metrics token', async () => {
    const anonymous = await get('/metrics');
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toContain('Bearer');
    expect((await get('/metrics', 'not-a-token')).status).toBe(401);
    for (const role of ['viewer', 'operator'] as const) {
      const { secret } = await createTestToken(db.dataSource, role);
      const refused = await get('/metrics', secret);
      expect(refused.status).toBe(403);
      expect(((await refused.json()) as { message: string }).message).toContain('admin role');
    }
    expect((await get('/metrics', admin)).status).toBe(200);
    expect((await get('/metrics', METRICS_TOKEN)).status).toBe(200);
    // The metrics token is for scraping only: not an API credential.
    expect((await get('/admin/queues/api/queues', METRICS_TOKEN)).status).toBe(401);
  });

  it('serves the queue dashboard to admins only', async () => {
    expect((await get('/admin/queues')).status).toBe(401);
    const { secret: operator } = await createTestToken(db.dataSource, 'operator');
    expect((await get('/admin/queues/api/queues', operator)).status).toBe(403);
    const page = await get('/admin/queues', admin);
    expect(page.status).toBe(200);
    const queues = await get('/admin/queues/api/queues', admin);
    expect(queues.status).toBe(200);
    const body = (await queues.json()) as { queues: { name: string }[] };
    expect(body.queues.map((q) => q.name).sort()).toEqual(['bulkhead.benchmark', 'bulkhead.runtime', 'bulkhead.scanner', 'bulkhead.signer']);
  });

  it('reports queue depth and the oldest waiting age while no worker runs', async () => {
    await submit('quick', { n: 1 });
    await submit('quick', { n: 2 });
    await sleep(1_100);
    const samples = await scrape();
    expect(samples.get(key('bulkhead_queue_jobs', { queue: 'bulkhead.scanner', state: 'waiting' }))).toBe(2);
    expect(samples.get(key('bulkhead_queue_jobs', { queue: 'bulkhead.runtime', state: 'waiting' }))).toBe(0);
    const age = samples.get(key('bulkhead_queue_oldest_waiting_age_seconds', { queue: 'bulkhead.scanner' }));
    expect(age).toBeGreaterThanOrEqual(1);
    expect(age).toBeLessThan(30);
    expect(samples.get(key('bulkhead_queue_oldest_waiting_age_seconds', { queue: 'bulkhead.runtime' }))).toBe(0);
  });

  it('counts tasks, failures, latency, findings and alerts after a worker ran them', async () => {
    // The worker's JSON log lines, to check that each task's lines carry its id.
    const logLines: Record<string, unknown>[] = [];
    const logger = createLogger('worker', { level: 'info', destination: { write: (line: string) => void logLines.push(JSON.parse(line) as Record<string, unknown>) } });
    worker = await startWorker({ registry: new PluginRegistry([plugin]), inputs, logger, database: { dataSource: db.dataSource }, redisUrl: REDIS_URL, queuePrefix: db.schema, kinds: ['scanner'], shutdownGraceMs: 5_000 });
    const ids = [await submit('nap', { ms: NAP_MS }), await submit('boom', {}), await submit('report', { digest: 'sha256:metrics-test' })];
    const quick: { id: string }[] = await db.dataSource.query(`SELECT "id" FROM "task" WHERE "type" = 'quick'`);
    await waitFinished([...ids, ...quick.map((row) => row.id)]);

    const samples = await scrape(METRICS_TOKEN);
    const scanner = { kind: 'scanner' };
    expect(samples.get(key('bulkhead_queue_jobs', { queue: 'bulkhead.scanner', state: 'waiting' }))).toBe(0);
    expect(samples.get(key('bulkhead_queue_oldest_waiting_age_seconds', { queue: 'bulkhead.scanner' }))).toBe(0);
    expect(samples.get(key('bulkhead_tasks_total', { ...scanner, type: 'quick', status: 'SUCCEEDED' }))).toBe(2);
    expect(samples.get(key('bulkhead_tasks_total', { ...scanner, type: 'boom', status: 'FAILED' }))).toBe(1);
    expect(samples.get(key('bulkhead_task_failures_total', { ...scanner, type: 'boom' }))).toBe(1);
    expect(samples.has(key('bulkhead_task_failures_total', { ...scanner, type: 'quick' }))).toBe(false);

    // The nap took NAP_MS (plus the worker's bookkeeping): above the 0.5 s bound, under 2.5 s.
    const nap = { ...scanner, type: 'nap' };
    expect(samples.get(key('bulkhead_task_duration_seconds_bucket', { ...nap, le: '0.5' }))).toBe(0);
    expect(samples.get(key('bulkhead_task_duration_seconds_bucket', { ...nap, le: '2.5' }))).toBe(1);
    expect(samples.get(key('bulkhead_task_duration_seconds_bucket', { ...nap, le: '+Inf' }))).toBe(1);
    expect(samples.get(key('bulkhead_task_duration_seconds_count', nap))).toBe(1);
    expect(samples.get(key('bulkhead_task_duration_seconds_sum', nap))).toBeGreaterThanOrEqual(NAP_MS / 1000);
    expect(samples.get(key('bulkhead_task_duration_seconds_count', { ...scanner, type: 'quick' }))).toBe(2);

    expect(samples.get(key('bulkhead_findings_total', { kind: 'scanner' }))).toBe(3);
    expect(samples.get(key('bulkhead_findings_total', { kind: 'runtime' }))).toBe(3);
    expect(samples.get(key('bulkhead_runtime_alerts_total', { rule: 'Terminal shell in container' }))).toBe(2);
    expect(samples.get(key('bulkhead_runtime_alerts_total', { rule: 'Write below etc' }))).toBe(1);

    const linesOf = (taskId: string) => logLines.filter((line) => line['taskId'] === taskId).map((line) => line['msg']);
    expect(linesOf(ids[0] as string)).toEqual(expect.arrayContaining(['task started', 'task succeeded']));
    expect(linesOf(ids[1] as string)).toEqual(expect.arrayContaining(['task started', 'task failed']));
    // Every line about a task's processing names it.
    expect(logLines.filter((line) => /^task /.test(String(line['msg'])) && typeof line['taskId'] !== 'string')).toEqual([]);
  });
});
