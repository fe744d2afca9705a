import { TaskLogStore, teamScope } from '@bulkhead/persistence';
import type { TestDatabase } from '@bulkhead/persistence/testing';
import { BadInputError, definePlugin, defineTask, PluginRegistry } from '@bulkhead/plugin-sdk';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger as TypeOrmLogger, QueryRunner } from 'typeorm';
import { z } from 'zod';
import { graphql, graphqlData } from '../testing/graphql-http';
import { startTestPlatform, type TestPlatform } from '../testing/platform';

/*
 * Task logs end to end over the real API, worker, Postgres and Redis (issue 16): what a plugin
 * logs through ctx.logger is stored in batches under its task and read back through Task.logs
 * (keyset pages, minLevel), redacted and bounded; a task that logs nothing costs no statement
 * on task_log; another team cannot read them; they go with their task.
 */

jest.setTimeout(120_000);

/** Failures so far of each `flaky` task, by task id (it fails its first attempt). */
const flakyFailures = new Map<string, number>();

const logsPlugin = definePlugin({
  manifest: { id: 'test.logs', version: '1.0.0', kind: 'runtime', phases: ['run'], description: 'logs what it is told' },
  tasks: [
    defineTask({
      type: 'chatty',
      description: 'logs a few lines of every kind',
      input: z.object({ label: z.string() }),
      run: async (_input, ctx) => {
        ctx.logger.info({ image: 'registry.example/app:1', password: 'hunter2' }, 'pulling image');
        ctx.logger.debug('debug lines are not stored');
        ctx.logger.child({ step: 'analyse' }).warn({ skipped: 3 }, 'skipped unreadable files');
        ctx.logger.error({ err: new Error('GET https://robot:s3cr3t@registry.example/v2/ refused') }, 'registry request failed');
        return { ok: true };
      },
    }),
    defineTask({
      type: 'flood',
      description: 'logs `lines` lines of `size` characters',
      input: z.object({ lines: z.number().int().min(1), size: z.number().int().min(1) }),
      run: async ({ lines, size }, ctx) => {
        for (let i = 0; i < lines; i++) ctx.logger.info({ i }, `${i}:${'x'.repeat(size)}`);
        return null;
      },
    }),
    defineTask({ type: 'silent', description: 'logs nothing', input: z.object({ n: z.number() }), run: async () => ({ quiet: true }) }),
    defineTask({
      type: 'slow',
      description: 'logs a line, then waits until cancelled',
      input: z.object({ label: z.string() }),
      run: async (_input, ctx) => {
        ctx.logger.info('waiting for the cancellation');
        await sleep(60_000, undefined, { signal: ctx.signal });
        return null;
      },
    }),
    defineTask({
      type: 'flaky',
      description: 'fails its first attempt, succeeds the second',
      input: z.object({ label: z.string() }),
      run: async (_input, ctx) => {
        const failures = flakyFailures.get(ctx.taskId) ?? 0;
        ctx.logger.info({ failures }, 'trying');
        if (failures === 0) {
          flakyFailures.set(ctx.taskId, 1);
          throw new Error('transient: connection reset');
        }
        return null;
      },
    }),
    defineTask({
      type: 'refused',
      description: 'fails at once on bad input',
      input: z.object({ label: z.string() }),
      run: async () => {
        throw new BadInputError('the label names no known image');
      },
    }),
  ],
});

/** Every SQL statement the data source (API and worker share it here) runs while `recording`. */
const statements: string[] = [];
let recording = false;

let platform: TestPlatform;
let db: TestDatabase;
let url: string;

beforeAll(async () => {
  platform = await startTestPlatform({ label: 'task_logs', registry: new PluginRegistry([logsPlugin]), kinds: ['runtime'], shutdownGraceMs: 2_000, concurrency: { runtime: 2 } });
  ({ db, api: { url } } = platform);
  const original = db.dataSource.logger;
  const recorder: TypeOrmLogger = {
    logQuery: (query: string, parameters?: unknown[], runner?: QueryRunner) => {
      if (recording) statements.push(query);
      original.logQuery(query, parameters, runner);
    },
    logQueryError: (...args) => original.logQueryError(...args),
    logQuerySlow: (...args) => original.logQuerySlow(...args),
    logSchemaBuild: (...args) => original.logSchemaBuild(...args),
    logMigration: (...args) => original.logMigration(...args),
    log: (...args) => original.log(...args),
  };
  Object.assign(db.dataSource, { logger: recorder });
});

afterAll(async () => {
  await platform?.stop();
});

interface LogLine {
  at: string;
  level: string;
  message: string;
  fields: Record<string, unknown> | null;
  attempt: number;
}
interface LogPage {
  task: { status: string; logs: { totalCount: number; edges: { cursor: string; node: LogLine }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } } | null;
}

const LOGS = `query($id: ID!, $first: Int, $after: String, $minLevel: LogLevel) {
  task(id: $id) { status logs(first: $first, after: $after, minLevel: $minLevel) { totalCount edges { cursor node { at level message fields attempt } } pageInfo { hasNextPage endCursor } } }
}`;

async function submit(type: string, input: unknown): Promise<string> {
  const data = await graphqlData<{ submitTask: { id: string } }>(url, 'mutation($type: String!, $input: JSON!) { submitTask(kind: RUNTIME, type: $type, input: $input) { id } }', { type, input });
  return data.submitTask.id;
}

async function finished(id: string, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { task } = await graphqlData<{ task: { status: string } }>(url, 'query($id: ID!) { task(id: $id) { status } }', { id });
    if (['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(task.status)) return task.status;
    if (Date.now() > deadline) throw new Error(`task ${id} still ${task.status}`);
    await sleep(100);
  }
}

const logs = async (id: string, variables: Record<string, unknown> = {}, token?: string) => graphqlData<LogPage>(url, LOGS, { id, ...variables }, token ? { token } : {});
const messages = (page: LogPage): string[] => page.task?.logs.edges.map((e) => e.node.message) ?? [];

describe('task logs', () => {
  let chatty: string;

  beforeAll(async () => {
    chatty = await submit('chatty', { label: 'one' });
    expect(await finished(chatty)).toBe('SUCCEEDED');
  });

  it("stores a plugin's lines at info and above with their fields, redacted, after the platform's start line", async () => {
    const page = await logs(chatty);
    const lines = page.task?.logs.edges.map((e) => e.node) ?? [];
    expect(lines.map(({ level, message, attempt }) => ({ level, message, attempt }))).toEqual([
      { level: 'INFO', message: 'task started (attempt 1)', attempt: 1 },
      { level: 'INFO', message: 'pulling image', attempt: 1 },
      { level: 'WARN', message: 'skipped unreadable files', attempt: 1 },
      { level: 'ERROR', message: 'registry request failed', attempt: 1 },
    ]);
    expect(lines[1]?.fields).toEqual({ image: 'registry.example/app:1', password: '[REDACTED]' });
    expect(lines[2]?.fields).toEqual({ step: 'analyse', skipped: 3 });
    expect(lines[3]?.fields).toEqual({ err: { type: 'Error', message: 'GET https://[REDACTED]@registry.example/v2/ refused' } });
    expect(page.task?.logs.totalCount).toBe(4);
    const raw = JSON.stringify(await db.dataSource.query(`SELECT * FROM task_log`));
    expect(raw).not.toContain('hunter2');
    expect(raw).not.toContain('s3cr3t');
  });

  it('pages by keyset and filters by level', async () => {
    const first = await logs(chatty, { first: 3 });
    expect(messages(first)).toHaveLength(3);
    expect(first.task?.logs.pageInfo.hasNextPage).toBe(true);
    const rest = await logs(chatty, { first: 3, after: first.task?.logs.pageInfo.endCursor });
    expect(messages(rest)).toEqual(['registry request failed']);
    expect(rest.task?.logs.pageInfo.hasNextPage).toBe(false);
    const warnings = await logs(chatty, { minLevel: 'WARN' });
    expect(messages(warnings)).toEqual(['skipped unreadable files', 'registry request failed']);
    expect(warnings.task?.logs.totalCount).toBe(2);
    expect(messages(await logs(chatty, { minLevel: 'ERROR', after: first.task?.logs.edges[0]?.cursor }))).toEqual(['registry request failed']);
  });

  it('refuses a forged cursor and a page size out of bounds, naming the problem', async () => {
    const forged = await graphql(url, LOGS, { id: chatty, after: Buffer.from(JSON.stringify(["1; DROP TABLE task_log"])).toString('base64url') });
    expect(forged.errors?.[0]?.message).toMatch(/invalid cursor/);
    expect(forged.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
    const huge = await graphql(url, LOGS, { id: chatty, after: Buffer.from(JSON.stringify(['99999999999999999999'])).toString('base64url') });
    expect(huge.errors?.[0]?.message).toMatch(/invalid cursor/);
    const zero = await graphql(url, LOGS, { id: chatty, first: 0 });
    expect(zero.errors?.[0]?.message).toMatch(/first must be an integer between 1 and 500/);
    const tooMany = await graphql(url, LOGS, { id: chatty, first: 501 });
    expect(tooMany.errors?.[0]?.message).toMatch(/first must be at most 500/);
  });

  it("lets a viewer of the task's team read them, and no one of another team", async () => {
    const viewer = await platform.createToken('viewer');
    expect(messages(await logs(chatty, {}, viewer.secret))).toHaveLength(4);
    const blue = await platform.createToken('admin', 'blue');
    expect((await logs(chatty, {}, blue.secret)).task).toBeNull();
    // Below the API too: the store checks the task row's team in the same statement.
    const blueStore = new TaskLogStore(db.dataSource, teamScope('blue'));
    expect((await blueStore.page(chatty)).edges).toEqual([]);
    expect(await blueStore.count(chatty)).toBe(0);
    expect((await new TaskLogStore(db.dataSource, teamScope('default')).page(chatty)).edges).toHaveLength(4);
  });

  it('costs a task that logs nothing no statement on task_log, and one that logs writes in batches', async () => {
    statements.length = 0;
    recording = true;
    const silent = await Promise.all([1, 2, 3].map((n) => submit('silent', { n })));
    for (const id of silent) expect(await finished(id)).toBe('SUCCEEDED');
    recording = false;
    expect(statements.filter((s) => /(FROM|INTO) task_log\b/.test(s))).toEqual([]);
    expect(await db.dataSource.query(`SELECT 1 FROM task_log WHERE task_id = ANY($1)`, [silent])).toEqual([]);

    statements.length = 0;
    recording = true;
    const flood = await submit('flood', { lines: 1_500, size: 10 });
    expect(await finished(flood)).toBe('SUCCEEDED');
    recording = false;
    const inserts = statements.filter((s) => /INSERT INTO task_log/.test(s));
    expect(inserts.length).toBeGreaterThanOrEqual(1);
    expect(inserts.length).toBeLessThanOrEqual(3);
    // 1,000 lines kept (the start line and 999 of the plugin's), then one saying what was dropped.
    const page = await logs(flood, { first: 500, minLevel: 'WARN' });
    expect(messages(page)).toEqual(['… 501 log lines dropped (a task keeps at most 1000 lines and 256 KiB)']);
    expect((await logs(flood, { first: 1 })).task?.logs.totalCount).toBe(1_001);
    // Every line once, in the order logged, through keyset pages (row ids past 1,000: numeric order, not text).
    const all: string[] = [];
    let after: string | null | undefined = null;
    do {
      const next: LogPage = await logs(flood, { first: 300, after });
      all.push(...messages(next));
      after = next.task?.logs.pageInfo.hasNextPage ? next.task.logs.pageInfo.endCursor : undefined;
    } while (after);
    expect(all).toEqual(['task started (attempt 1)', ...Array.from({ length: 999 }, (_, i) => `${i}:xxxxxxxxxx`), '… 501 log lines dropped (a task keeps at most 1000 lines and 256 KiB)']);
  });

  it('bounds a task by bytes and each message by 4 KiB', async () => {
    const big = await submit('flood', { lines: 100, size: 10_000 });
    expect(await finished(big)).toBe('SUCCEEDED');
    const [usage] = await db.dataSource.query<{ lines: number; longest: number; bytes: number }[]>(
      `SELECT count(*)::int AS lines, max(octet_length(message))::int AS longest, sum(octet_length(message) + coalesce(octet_length(fields::text), 0))::int AS bytes FROM task_log WHERE task_id = $1 AND level = 30`,
      [big],
    );
    expect(usage?.longest).toBeLessThanOrEqual(4_096);
    expect(usage?.bytes).toBeLessThanOrEqual(256 * 1024);
    expect(usage?.lines).toBe(64);
    expect(messages(await logs(big, { minLevel: 'WARN' }))).toEqual(['… 37 log lines dropped (a task keeps at most 1000 lines and 256 KiB)']);
  });

  it('shows lines while the task runs, and the cancellation', async () => {
    const slow = await submit('slow', { label: 'cancel me' });
    const deadline = Date.now() + 15_000;
    let running: LogPage | undefined;
    while (Date.now() < deadline) {
      const page = await logs(slow);
      if (messages(page).includes('waiting for the cancellation')) {
        running = page;
        break;
      }
      await sleep(200);
    }
    expect(running?.task?.status).toBe('RUNNING');
    await graphqlData(url, 'mutation($id: ID!) { cancelTask(id: $id) { id } }', { id: slow });
    expect(await finished(slow)).toBe('CANCELLED');
    const after = running?.task?.logs.pageInfo.endCursor;
    const until = Date.now() + 10_000;
    let tail: string[] = [];
    while (Date.now() < until && !tail.includes('task cancelled: stopped')) {
      tail = messages(await logs(slow, { after }));
      await sleep(100);
    }
    expect(tail).toEqual(['task cancelled: stopped']);
  });

  it('keeps the lines of every attempt, with why an attempt failed, and why a task failed', async () => {
    const flaky = await submit('flaky', { label: 'retry' });
    expect(await finished(flaky, 60_000)).toBe('SUCCEEDED');
    const lines = (await logs(flaky)).task?.logs.edges.map((e) => [e.node.attempt, e.node.level, e.node.message]);
    expect(lines).toEqual([
      [1, 'INFO', 'task started (attempt 1)'],
      [1, 'INFO', 'trying'],
      [1, 'WARN', 'attempt 1 failed, will retry: transient: connection reset'],
      [2, 'INFO', 'task started (attempt 2)'],
      [2, 'INFO', 'trying'],
    ]);
    const refused = await submit('refused', { label: 'x' });
    expect(await finished(refused)).toBe('FAILED');
    expect((await logs(refused)).task?.logs.edges.map((e) => [e.node.level, e.node.message, e.node.fields])).toEqual([
      ['INFO', 'task started (attempt 1)', null],
      ['ERROR', 'task failed: the label names no known image', { attempt: 1, permanent: true }],
    ]);
  });

  it('goes with its task', async () => {
    const id = await submit('chatty', { label: 'to delete' });
    expect(await finished(id)).toBe('SUCCEEDED');
    expect(await new TaskLogStore(db.dataSource, teamScope('default')).count(id)).toBe(4);
    await db.dataSource.query(`DELETE FROM task WHERE id = $1`, [id]);
    expect(await db.dataSource.query(`SELECT 1 FROM task_log WHERE task_id = $1`, [id])).toEqual([]);
  });
});
