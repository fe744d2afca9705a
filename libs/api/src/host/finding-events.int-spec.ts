import { TaskStatus, TaskStore } from '@bulkhead/persistence';
import { createTestDatabase, type TestDatabase } from '@bulkhead/persistence/testing';
import { definePlugin, defineTask, PluginRegistry, type FindingResult } from '@bulkhead/plugin-sdk';
import { FINDING_EVENTS, HOST_FINDINGS, type FindingEvents, type HostFindings, type StoredFinding } from '@bulkhead/plugin-sdk/api';
import { createRedis, deleteKeysWithPrefix, findingsRaisedChannel } from '@bulkhead/queue';
import { startWorker, type WorkerHost } from '@bulkhead/worker';
import { z } from 'zod';
import { loadApiConfig } from '../config';
import { startApi, type ApiHandle } from '../start-api';
import { graphqlData } from '../testing/graphql-http';
import { asTeam } from '../testing/as-team';
import { useAdminToken } from '../testing/platform';
import { silentLogger } from '../testing/silent-logger';

/*
 * The one findings channel: a worker publishes every finding its task inserted, whatever the
 * kind; each of two API replicas subscribes once and hands each finding once to each of its
 * FindingEvents subscribers whose filter admits it. HostFindings.record publishes too.
 */

jest.setTimeout(60_000);

const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';

const finding = (kind: FindingResult['kind'], ruleId: string, target: string): FindingResult => ({ kind, severity: 'LOW', ruleId, title: `${ruleId} on ${target}`, target, data: { n: 1 } });

/** A plugin that emits the findings its input lists (of any kind: the channel knows none). */
const emitPlugin = definePlugin({
  manifest: { id: 'test.emit', version: '1.0.0', kind: 'benchmark', phases: ['build'], description: 'emits findings' },
  tasks: [
    defineTask({
      type: 'emit',
      description: 'emits the findings given',
      input: z.object({ findings: z.array(z.object({ kind: z.enum(['scanner', 'benchmark', 'runtime', 'signer']), ruleId: z.string(), target: z.string() })), run: z.number() }),
      run: async (input, ctx) => {
        await ctx.emit.findings(input.findings.map((f) => finding(f.kind, f.ruleId, f.target)));
        return { emitted: input.findings.length };
      },
    }),
  ],
});

/** Reads a subscription into an array until stopped. */
function collect(events: FindingEvents, filter: Parameters<FindingEvents['subscribe']>[0]): { heard: StoredFinding[]; stop: () => Promise<void> } {
  const heard: StoredFinding[] = [];
  const controller = new AbortController();
  const reading = (async () => {
    for await (const f of events.subscribe(filter, controller.signal)) heard.push(f);
  })();
  return {
    heard,
    stop: async () => {
      controller.abort();
      await reading;
    },
  };
}

async function until(what: string, probe: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('findings raised, across a worker and two API replicas', () => {
  let db: TestDatabase;
  let replicas: ApiHandle[];
  let worker: WorkerHost;
  let tasks: TaskStore;

  beforeAll(async () => {
    db = await createTestDatabase('finding_events');
    const registry = new PluginRegistry([emitPlugin]);
    const source = { DATABASE_URL: db.url, DATABASE_SCHEMA: db.schema, REDIS_URL, BULKHEAD_QUEUE_PREFIX: db.schema };
    const start = () => startApi({ config: loadApiConfig(source), env: source, registry, dataSource: db.dataSource, port: 0, host: '127.0.0.1', logger: silentLogger() });
    replicas = [await start(), await start()];
    for (const api of replicas) await useAdminToken(api, db.dataSource);
    worker = await startWorker({ registry, database: { dataSource: db.dataSource }, redisUrl: REDIS_URL, queuePrefix: db.schema, kinds: ['benchmark'], shutdownGraceMs: 2_000 });
    tasks = new TaskStore(db.dataSource);
  });

  afterAll(async () => {
    await worker?.stop();
    for (const api of replicas ?? []) await api.close();
    await db?.drop();
    const redis = createRedis(REDIS_URL, 'producer');
    await deleteKeysWithPrefix(redis, db.schema).finally(() => redis.disconnect());
  });

  const replica = (i: number): ApiHandle => {
    const api = replicas[i];
    if (!api) throw new Error(`no replica ${i}`);
    return api;
  };

  const run = async (findings: { kind: string; ruleId: string; target: string }[], n: number): Promise<void> => {
    const { submitTask } = await graphqlData<{ submitTask: { id: string } }>(
      replica(0).url,
      'mutation($input: JSON!) { submitTask(kind: BENCHMARK, type: "emit", input: $input) { id } }',
      { input: { findings, run: n } },
    );
    await until('the task', async () => (await tasks.get(submitTask.id))?.status === TaskStatus.SUCCEEDED);
  };

  it('every new finding of every kind reaches each subscriber once, on every replica; repeats are not announced', () =>
    asTeam('default', async () => {
    const a = replica(0).app.get<FindingEvents>(FINDING_EVENTS, { strict: false });
    const b = replica(1).app.get<FindingEvents>(FINDING_EVENTS, { strict: false });
    const everything = collect(a, {});
    const everythingToo = collect(a, {});
    const onlyRuntime = collect(b, { kinds: ['runtime'] });
    const onlyRule = collect(b, { ruleIds: ['r2'] });
    // One subscription per replica, however many subscribers.
    const redis = createRedis(REDIS_URL, 'producer');
    try {
      await until('both replicas subscribed', async () => Number(((await redis.call('PUBSUB', 'NUMSUB', findingsRaisedChannel(db.schema))) as [string, number])[1]) === 2);
    } finally {
      redis.disconnect();
    }

    const batch = [
      { kind: 'benchmark', ruleId: 'r1', target: 't1' },
      { kind: 'runtime', ruleId: 'r2', target: 't2' },
      { kind: 'scanner', ruleId: 'r3', target: 't3' },
    ];
    await run(batch, 1);
    await run(batch, 2); // the same findings again: stored already, announced never again
    // Recorded by the API itself (replica b): announced to replica a's subscribers too.
    const recorded = await replica(1).app.get<HostFindings>(HOST_FINDINGS, { strict: false }).record([finding('signer', 'r4', 't4'), finding('benchmark', 'r1', 't1')]);
    expect(recorded.map((f) => f.ruleId)).toEqual(['r4']);

    await until('the announcements', () => everything.heard.length >= 4 && onlyRuntime.heard.length >= 1 && onlyRule.heard.length >= 1);
    await new Promise((r) => setTimeout(r, 300)); // anything extra would have arrived by now
    await Promise.all([everything.stop(), everythingToo.stop(), onlyRuntime.stop(), onlyRule.stop()]);
    expect(everything.heard.map((f) => `${f.kind}/${f.ruleId}`)).toEqual(['benchmark/r1', 'runtime/r2', 'scanner/r3', 'signer/r4']);
    expect(everythingToo.heard.map((f) => f.id)).toEqual(everything.heard.map((f) => f.id));
    expect(onlyRuntime.heard.map((f) => f.ruleId)).toEqual(['r2']);
    expect(onlyRule.heard.map((f) => f.ruleId)).toEqual(['r2']);
    expect(everything.heard[0]).toMatchObject({ status: 'OPEN', target: 't1', data: { n: 1 }, firstSeenAt: expect.any(Date) });
    }));
});
