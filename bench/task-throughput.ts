// Task overhead: `npm run bench -- task-throughput [tasks] [concurrency] [--sync-logs] [--batch=100] [--sides=raw,single,batches]`.
//
// Baseline: raw BullMQ, Queue.add of N jobs and a Worker with an empty processor. Measured: the
// platform, N canary tasks (PROBE_TASK, the no-op that probeTask runs) submitted through GraphQL
// (`submitTask`, an operator token, the task quota and rate limits as deployed) and run by the
// worker to SUCCEEDED, heard on the task-update channel that feeds the subscription. The API and
// the worker run in this process as in `bulkhead serve` (their own Postgres pools; NODE_ENV=production
// as the image sets it, by tools/scripts/bench.sh), the clients on keep-alive node:http connections
// (lib/graphql-client.ts: fetch cost about 0.5 ms of this process's CPU per call), logging JSON
// to /dev/null through the default (asynchronous) destination, or a synchronous one with
// --sync-logs (the logging before issue 15). Same Redis, same worker concurrency, same number
// of submissions in flight; three rounds each, alternating sides; the ratio is of the medians.
// A third side submits the same canary tasks through `submitTasks` in batches of --batch (100),
// `concurrency` calls in flight, with its own ratio: the target is judged on the
// single-submission side ("through GraphQL submit"), and the table says which is which.
// Per platform task it also counts SQL statements (and commits: COMMITs and autocommitted writes) and Redis commands, by hooking
// the pg and ioredis clients of this process, and the CPU time of the process.
// BENCH_TRACE_SQL=1 prints the first statements and Redis commands of the platform rounds;
// BENCH_LOG_FILE=path keeps the log lines.
// Target: median platform tasks/s >= 0.25 x raw BullMQ, every task SUCCEEDED exactly once.
import { loadApiConfig, startApi, type ApiHandle } from '@bulkhead/api';
import { createLogger, logDestination } from '@bulkhead/common';
import { ApiTokenStore, connectDatabase, runMigrations } from '@bulkhead/persistence';
import { PluginRegistry } from '@bulkhead/plugin-sdk';
import { createRedis, deleteKeysWithPrefix, PROBE_TASK, ServerInputPolicy, taskEventsChannel } from '@bulkhead/queue';
import { startWorker, type WorkerHost } from '@bulkhead/worker';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import pino from 'pino';
import type { DataSource } from 'typeorm';
import { GraphqlClient } from './lib/graphql-client';
import { median, printTable } from './lib/measure';

const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const N = Number(args[0] ?? 2_000);
const CONCURRENCY = Number(args[1] ?? 8);
const SYNC_LOGS = process.argv.includes('--sync-logs');
/** --sides=raw,batches runs only those sides (for profiling one path); default all three. */
const SIDES = new Set((process.argv.find((a) => a.startsWith('--sides='))?.slice('--sides='.length) ?? 'raw,single,batches').split(','));
const BATCH = Number(/^--batch=(\d+)$/.exec(process.argv.find((a) => a.startsWith('--batch=')) ?? '')?.[1] ?? 100);
const ROUNDS = 3;
const TARGET_RATIO = 0.25;
const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const DATABASE_URL = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** Statements and commands this process sends, counted at the client (pg_stat_statements is not assumed). */
const counters = { sql: 0, commits: 0, redis: 0 };
let traced = 0;
let tracing = false;
const inTransaction = new WeakSet<object>();
// pg has no type declarations in this workspace: its client's prototype is all this needs.
const pgClient = (createRequire(__filename)('pg') as { Client: { prototype: { query(...a: unknown[]): unknown } } }).Client.prototype;
const pgQuery = pgClient.query;
pgClient.query = function (this: unknown, ...callArgs: unknown[]) {
  const first = callArgs[0];
  const text = typeof first === 'string' ? first : ((first as { text?: string } | undefined)?.text ?? '');
  counters.sql++;
  if (tracing && traced < 80) {
    traced++;
    console.log('SQL', text.replace(/\s+/g, ' ').slice(0, 160));
  }
  // A commit: an explicit COMMIT, or a write outside a transaction (autocommit).
  if (/^\s*(START TRANSACTION|BEGIN)\b/i.test(text)) inTransaction.add(this as object);
  else if (/^\s*(COMMIT|ROLLBACK)\b/i.test(text)) {
    inTransaction.delete(this as object);
    if (/^\s*COMMIT/i.test(text)) counters.commits++;
  } else if (!inTransaction.has(this as object) && /^\s*(INSERT|UPDATE|DELETE|WITH)\b/i.test(text)) counters.commits++;
  return pgQuery.apply(this, callArgs);
};
const sendCommand = Redis.prototype.sendCommand;
Redis.prototype.sendCommand = function (this: Redis, ...callArgs: Parameters<typeof sendCommand>) {
  counters.redis++;
  if (tracing && traced < 80) {
    traced++;
    const command = callArgs[0] as { name?: string; args?: unknown[] };
    console.log('REDIS', command.name, String(command.args?.[0] ?? '').slice(0, 60), (this.options as { connectionName?: string }).connectionName);
  }
  return sendCommand.apply(this, callArgs);
};

interface Round {
  side: 'raw BullMQ' | 'platform' | 'platform, batches';
  ms: number;
  tasksPerSecond: number;
  sqlPerTask: number;
  commitsPerTask: number;
  redisPerTask: number;
  cpuMsPerTask: number;
}

/** Runs `count` calls of `fn` with at most `limit` in flight. */
async function inFlight(count: number, limit: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, count) }, async () => {
      while (next < count) await fn(next++);
    }),
  );
}

function measure(side: Round['side'], run: () => Promise<void>): Promise<Round> {
  return (async () => {
    const before = { ...counters };
    const cpu = process.cpuUsage();
    const start = performance.now();
    await run();
    const ms = performance.now() - start;
    const used = process.cpuUsage(cpu);
    return {
      side,
      ms,
      tasksPerSecond: (N / ms) * 1000,
      sqlPerTask: (counters.sql - before.sql) / N,
      commitsPerTask: (counters.commits - before.commits) / N,
      redisPerTask: (counters.redis - before.redis) / N,
      cpuMsPerTask: (used.user + used.system) / 1000 / N,
    };
  })();
}

async function rawRound(round: number): Promise<Round> {
  const prefix = `bh_bench_raw_${randomBytes(4).toString('hex')}`;
  const connection = createRedis(REDIS_URL, 'producer');
  const workerConnection = createRedis(REDIS_URL, 'worker');
  const queue = new Queue('bench', { connection, prefix });
  let done = 0;
  let finished: () => void = () => undefined;
  const allDone = new Promise<void>((resolve) => (finished = resolve));
  const worker = new Worker('bench', async () => undefined, { connection: workerConnection, prefix, concurrency: CONCURRENCY, autorun: false });
  worker.on('completed', () => {
    if (++done === N) finished();
  });
  await worker.waitUntilReady();
  try {
    void worker.run();
    return await measure('raw BullMQ', async () => {
      await inFlight(N, CONCURRENCY, async (i) => {
        await queue.add('task.run', { taskId: `${round}-${i}` }, { removeOnComplete: { count: 1_000 } });
      });
      await allDone;
    });
  } finally {
    await worker.close();
    await queue.close();
    await deleteKeysWithPrefix(connection, prefix);
    connection.disconnect();
    workerConnection.disconnect();
  }
}

interface Platform {
  api: ApiHandle;
  /** The clients' connection to the API (keep-alive node:http, see lib/graphql-client.ts). */
  client: GraphqlClient;
  worker: WorkerHost;
  dataSource: DataSource;
  prefix: string;
  close(): Promise<void>;
}

async function startPlatform(): Promise<Platform> {
  const schema = `bh_bench_tasks_${randomBytes(4).toString('hex')}`;
  // BENCH_LOG_FILE: keep the lines (to see what a task logs) instead of dropping them.
  const logFile = process.env['BENCH_LOG_FILE'] ?? '/dev/null';
  const destination = SYNC_LOGS ? pino.destination({ dest: logFile, sync: true }) : logDestination(logFile);
  // The schema first (the API's own pool then migrates nothing).
  const setup = await connectDatabase({ url: DATABASE_URL, schema });
  await runMigrations(setup);
  const env = {
    DATABASE_URL,
    DATABASE_SCHEMA: schema,
    REDIS_URL,
    BULKHEAD_QUEUE_PREFIX: schema,
    // Limits as deployed, raised so that N submissions are within them.
    BULKHEAD_RATE_LIMIT: String(N * 10),
    BULKHEAD_MAX_QUEUED_TASKS_PER_TOKEN: String(N * 2),
  };
  const inputs = new ServerInputPolicy({ allowedPaths: [] });
  const api = await startApi({ config: loadApiConfig(env), env, inputs, registry: new PluginRegistry(), port: 0, host: '127.0.0.1', logger: createLogger('api', { destination }) });
  const worker = await startWorker({
    registry: new PluginRegistry(),
    inputs,
    database: { url: DATABASE_URL, schema },
    redisUrl: REDIS_URL,
    queuePrefix: schema,
    concurrency: { [PROBE_TASK.kind]: CONCURRENCY },
    kinds: [PROBE_TASK.kind],
    migrate: false,
    logger: createLogger('worker', { destination }),
  });
  const { secret } = await new ApiTokenStore(setup).create({ name: 'bench', team: 'default', role: 'operator', expiresAt: null, createdBy: 'bench' });
  const client = new GraphqlClient(api.url, secret);
  return {
    api,
    client,
    worker,
    dataSource: setup,
    prefix: schema,
    close: async () => {
      client.close();
      await worker.stop();
      await api.close();
      await setup.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
      await setup.destroy();
      const redis = createRedis(REDIS_URL, 'producer');
      await deleteKeysWithPrefix(redis, schema).finally(() => redis.disconnect());
    },
  };
}

const SUBMIT = `mutation($input: JSON!) { submitTask(kind: RUNTIME, type: "${PROBE_TASK.type}", input: $input) { id status } }`;
const SUBMIT_MANY = `mutation($tasks: [TaskSubmission!]!) { submitTasks(tasks: $tasks) { id status } }`;

async function graphqlCall<T>(platform: Platform, query: string, variables: Record<string, unknown>): Promise<T> {
  const body = await platform.client.post<{ data?: T; errors?: { message: string }[] }>(query, variables);
  if (!body.data) throw new Error(`${query.slice(0, 40)}… failed: ${JSON.stringify(body.errors)}`);
  return body.data;
}

/** N canary tasks through submitTask, one call per task. */
function submitEach(platform: Platform, round: number): Promise<void> {
  return inFlight(N, CONCURRENCY, async (i) => {
    await graphqlCall(platform, SUBMIT, { input: { label: `bench-${round}-${i}` } });
  });
}

/** The same N tasks through submitTasks, BATCH per call. */
function submitBatches(platform: Platform, round: number): Promise<void> {
  return inFlight(Math.ceil(N / BATCH), CONCURRENCY, async (b) => {
    const tasks = Array.from({ length: Math.min(BATCH, N - b * BATCH) }, (_, j) => ({ kind: 'RUNTIME', type: PROBE_TASK.type, input: { label: `bench-batch-${round}-${b * BATCH + j}` } }));
    const data = await graphqlCall<{ submitTasks: unknown[] }>(platform, SUBMIT_MANY, { tasks });
    if (data.submitTasks.length !== tasks.length) throw new Error(`submitTasks returned ${data.submitTasks.length} tasks for ${tasks.length}`);
  });
}

async function platformRound(platform: Platform, side: 'platform' | 'platform, batches', submit: () => Promise<void>, succeededOnce: Map<string, number>): Promise<Round> {
  // The task-update channels the subscription is fed from: a task's SUCCEEDED update ends it here.
  const listener = createRedis(REDIS_URL, 'subscriber');
  let done = 0;
  let finished: () => void = () => undefined;
  const allDone = new Promise<void>((resolve) => (finished = resolve));
  const channelPrefix = taskEventsChannel(platform.prefix, '');
  listener.on('pmessage', (_pattern: string, channel: string, message: string) => {
    if (!(JSON.parse(message) as { status: string }).status.startsWith('SUCCEEDED')) return;
    const id = channel.slice(channelPrefix.length);
    succeededOnce.set(id, (succeededOnce.get(id) ?? 0) + 1);
    if (++done === N) finished();
  });
  await listener.psubscribe(`${channelPrefix}*`);
  try {
    tracing = Boolean(process.env['BENCH_TRACE_SQL']);
    return await measure(side, async () => {
      await submit();
      await allDone;
    });
  } finally {
    listener.disconnect();
  }
}

async function main(): Promise<void> {
  if (!Number.isInteger(N) || N < 1 || !Number.isInteger(CONCURRENCY) || CONCURRENCY < 1 || !Number.isInteger(BATCH) || BATCH < 1 || BATCH > 500) {
    throw new Error('usage: task-throughput [tasks >= 1] [concurrency >= 1] [--sync-logs] [--batch=1..500]');
  }
  console.log(
    `task throughput: ${N} tasks per round, concurrency ${CONCURRENCY}, ${ROUNDS} alternating rounds per side, logs ${SYNC_LOGS ? 'synchronous' : 'asynchronous'}; batches of ${BATCH}, ${CONCURRENCY} calls in flight`,
  );
  const platform = await startPlatform();
  const succeededOnce = new Map<string, number>();
  const rounds: Round[] = [];
  try {
    // Warm-up (JIT, pools, prepared plans), not counted.
    await rawRound(-1);
    for (let round = 0; round < ROUNDS; round++) {
      if (SIDES.has('raw')) rounds.push(await rawRound(round));
      if (SIDES.has('single')) rounds.push(await platformRound(platform, 'platform', () => submitEach(platform, round), succeededOnce));
      if (SIDES.has('batches')) rounds.push(await platformRound(platform, 'platform, batches', () => submitBatches(platform, round), succeededOnce));
    }
    const rows = await platform.dataSource.query<{ status: string; attempts: number; count: string }[]>(
      `SELECT status, attempts, count(*) AS count FROM "${platform.prefix}".task GROUP BY status, attempts ORDER BY status, attempts`,
    );
    const stored = rows.map((r) => `${r.status} attempts=${r.attempts}: ${r.count}`).join(', ');
    const repeats = [...succeededOnce.values()].filter((n) => n !== 1).length;
    const platformSides = (SIDES.has('single') ? 1 : 0) + (SIDES.has('batches') ? 1 : 0);
    const expected = platformSides * N * ROUNDS;
    const allOnce = rows.length === 1 && rows[0]?.status === 'SUCCEEDED' && rows[0].attempts === 1 && Number(rows[0].count) === expected && succeededOnce.size === expected && repeats === 0;

    printTable(
      ['round', 'side', 'ms', 'tasks/s', 'SQL/task', 'commits/task', 'Redis cmds/task', 'CPU ms/task'],
      rounds.map((r, i) => [String(Math.floor(i / SIDES.size) + 1), r.side, r.ms.toFixed(0), r.tasksPerSecond.toFixed(0), r.sqlPerTask.toFixed(2), r.commitsPerTask.toFixed(2), r.redisPerTask.toFixed(2), r.cpuMsPerTask.toFixed(3)]),
    );
    const raw = median(rounds.filter((r) => r.side === 'raw BullMQ').map((r) => r.tasksPerSecond));
    const measured = median(rounds.filter((r) => r.side === 'platform').map((r) => r.tasksPerSecond));
    const batched = median(rounds.filter((r) => r.side === 'platform, batches').map((r) => r.tasksPerSecond));
    const ratio = measured / raw;
    console.log(`\nstored tasks: ${stored}; SUCCEEDED updates heard once per task: ${succeededOnce.size - repeats} of ${expected}`);
    // Ratios only where both sides ran (--sides may leave raw BullMQ out when profiling).
    if (SIDES.has('raw') && SIDES.has('single')) {
      console.log(`median tasks/s: raw BullMQ ${raw.toFixed(0)}, platform (submitTask, one task per call) ${measured.toFixed(0)}: ratio ${ratio.toFixed(3)}x (target >= ${TARGET_RATIO}x) ${ratio >= TARGET_RATIO && allOnce ? 'PASS' : 'FAIL'}`);
    }
    if (SIDES.has('raw') && SIDES.has('batches')) {
      console.log(`median tasks/s: platform (submitTasks, ${BATCH} tasks per call) ${batched.toFixed(0)}: ratio ${(batched / raw).toFixed(3)}x ${batched / raw >= TARGET_RATIO && allOnce ? '(at or above the target)' : '(below the target)'}`);
    }
    if (!allOnce) process.exitCode = 1;
  } finally {
    await platform.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
