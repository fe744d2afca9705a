import { TASK_LOG_LEVELS, type TaskLogLine, type TaskLogUsage } from '@bulkhead/persistence';
import { silentLogger } from '@bulkhead/plugin-sdk';
import { setTimeout as sleep } from 'node:timers/promises';
import { boundedLine, cutBytes, redactText, TASK_LOG_LIMITS, TaskLogBuffer, teeTaskLogger, type TaskLogLimits, type TaskLogWriter } from './task-log';

/** Records each batch it is given (the store itself is tested against Postgres in the int-specs). */
class RecordingWriter implements TaskLogWriter {
  readonly batches: TaskLogLine[][] = [];
  usageReads = 0;
  constructor(private readonly earlier: TaskLogUsage = { lines: 0, bytes: 0 }) {}
  async append(_taskId: string, _attempt: number, lines: readonly TaskLogLine[]): Promise<void> {
    this.batches.push([...lines]);
  }
  async usage(): Promise<TaskLogUsage> {
    this.usageReads++;
    return this.earlier;
  }
  get lines(): TaskLogLine[] {
    return this.batches.flat();
  }
}

const limits = (over: Partial<TaskLogLimits> = {}): TaskLogLimits => ({ ...TASK_LOG_LIMITS, flushMs: 30, ...over });
const TASK = '00000000-0000-4000-8000-000000000001';
const { info, warn, error } = TASK_LOG_LEVELS;

describe('TaskLogBuffer', () => {
  it('writes nothing for a task that logs nothing but quiet lines', async () => {
    const writer = new RecordingWriter();
    const buffer = new TaskLogBuffer(TASK, 1, writer, fail, limits());
    buffer.add(info, 'task started (attempt 1)', null, { quiet: true });
    await sleep(60);
    await buffer.close();
    expect(writer.batches).toEqual([]);
    expect(writer.usageReads).toBe(0);
  });

  it('gathers lines into one write per interval and writes the rest at close, quiet lines included, in order', async () => {
    const writer = new RecordingWriter();
    const buffer = new TaskLogBuffer(TASK, 1, writer, fail, limits({ flushMs: 40 }));
    buffer.add(info, 'started', null, { quiet: true });
    for (let i = 0; i < 50; i++) buffer.add(info, `line ${i}`, { i });
    expect(writer.batches).toEqual([]);
    await sleep(120);
    expect(writer.batches).toHaveLength(1);
    buffer.add(warn, 'late', null);
    await buffer.close({ level: error, message: 'task failed: boom' });
    expect(writer.batches.map((b) => b.length)).toEqual([51, 2]);
    expect(writer.lines.map((l) => l.message)).toEqual(['started', ...Array.from({ length: 50 }, (_, i) => `line ${i}`), 'late', 'task failed: boom']);
    buffer.add(info, 'after close', null);
    await buffer.flush();
    expect(writer.lines).toHaveLength(53);
  });

  it('keeps at most maxLines and notes how many it dropped in one line over the budget', async () => {
    const writer = new RecordingWriter();
    const buffer = new TaskLogBuffer(TASK, 1, writer, fail, limits({ maxLines: 10, flushMs: 10_000 }));
    for (let i = 0; i < 25; i++) buffer.add(info, `line ${i}`, null);
    await buffer.close();
    expect(writer.batches).toHaveLength(1);
    expect(writer.lines).toHaveLength(11);
    expect(writer.lines.at(-1)).toMatchObject({ level: warn, message: '… 15 log lines dropped (a task keeps at most 10 lines and 256 KiB)' });
  });

  it('keeps at most maxBytes of messages and fields', async () => {
    const writer = new RecordingWriter();
    const buffer = new TaskLogBuffer(TASK, 1, writer, fail, limits({ maxBytes: 10_000 }));
    for (let i = 0; i < 20; i++) buffer.add(info, 'x'.repeat(1_000), { i });
    await buffer.close();
    const kept = writer.lines.slice(0, -1);
    expect(kept).toHaveLength(9);
    expect(kept.reduce((n, l) => n + l.message.length + JSON.stringify(l.fields).length, 0)).toBeLessThanOrEqual(10_000);
    expect(writer.lines.at(-1)?.message).toMatch(/^… 11 log lines dropped/);
  });

  it('counts what earlier attempts stored against the budget of a retry, read once before its first write', async () => {
    const writer = new RecordingWriter({ lines: 995, bytes: 1_000 });
    const buffer = new TaskLogBuffer(TASK, 2, writer, fail, limits({ flushMs: 10_000 }));
    for (let i = 0; i < 8; i++) buffer.add(info, `retry line ${i}`, null);
    await buffer.flush();
    for (let i = 0; i < 3; i++) buffer.add(info, `more ${i}`, null);
    await buffer.close();
    expect(writer.usageReads).toBe(1);
    expect(writer.lines.map((l) => l.message)).toEqual(['retry line 0', 'retry line 1', 'retry line 2', 'retry line 3', 'retry line 4', '… 6 log lines dropped (a task keeps at most 1000 lines and 256 KiB)']);
  });

  it('reports a failed write and goes on: a log is never a reason to fail a task', async () => {
    const errors: unknown[] = [];
    const broken: TaskLogWriter = { append: () => Promise.reject(new Error('insert or update on table "task_log" violates foreign key constraint')), usage: async () => ({ lines: 0, bytes: 0 }) };
    const buffer = new TaskLogBuffer(TASK, 1, broken, (e) => errors.push(e), limits());
    buffer.add(info, 'one', null);
    await expect(buffer.close()).resolves.toBeUndefined();
    expect(errors).toHaveLength(1);
  });
});

describe('bounded lines', () => {
  it('cuts messages to maxMessageBytes on a character boundary', () => {
    const line = boundedLine(info, 'é'.repeat(5_000), null);
    expect(Buffer.byteLength(line.message)).toBeLessThanOrEqual(4_096);
    expect(line.message.endsWith('é…')).toBe(true);
    expect(cutBytes('short', 10)).toBe('short');
  });

  it('replaces fields larger than maxFieldsBytes by a cut rendering', () => {
    const fields = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${i}`, 'v'.repeat(500)]));
    const line = boundedLine(info, 'm', fields);
    expect(Object.keys(line.fields ?? {})).toEqual(['truncated']);
    expect(Buffer.byteLength(JSON.stringify(line.fields))).toBeLessThanOrEqual(4_096);
  });

  it('redacts secrets: keys named like secrets, tokens, Authorization values and URL credentials', () => {
    const line = boundedLine(warn, 'pull from https://robot:s3cr3t-pass@registry.example/v2 with Bearer eyJhbGciOiJIUzI1NiJ9.abc', {
      password: 'hunter2',
      registryAuth: { username: 'robot', auth: 'cm9ib3Q6aHVudGVyMg==' },
      headers: { Authorization: 'Basic cm9ib3Q6aHVudGVyMg==' },
      note: 'token bhk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA leaked',
      tokenId: '5d0c',
      err: new Error('GET https://u:p4ss@registry.example/v2/ refused'),
      nul: 'a\0b',
      big: 12n,
      buffer: Buffer.from('secret bytes'),
    });
    const stored = JSON.stringify(line);
    for (const secret of ['s3cr3t-pass', 'eyJhbGciOiJIUzI1NiJ9', 'hunter2', 'cm9ib3Q6aHVudGVyMg', 'bhk_AAAA', 'p4ss', 'secret bytes', '\\u0000']) expect([secret, stored.includes(secret)]).toEqual([secret, false]);
    expect(line.fields).toMatchObject({ password: '[REDACTED]', registryAuth: '[REDACTED]', tokenId: '5d0c', err: { type: 'Error' }, nul: 'ab', big: '12', buffer: '[12 bytes]' });
    expect(redactText('https://registry.example/v2 ok')).toBe('https://registry.example/v2 ok');
  });

  it('redacts in linear time, whatever the text (no catastrophic backtracking)', () => {
    const hostile = ['x'.repeat(200_000), 'a://'.repeat(50_000), `Bearer ${'Bearer '.repeat(30_000)}`, `${'a'.repeat(100_000)}://${'b:'.repeat(50_000)}`];
    const started = performance.now();
    for (const text of hostile) {
      redactText(text);
      boundedLine(info, text, { text });
    }
    expect(performance.now() - started).toBeLessThan(1_000);
  });
});

describe('teeTaskLogger', () => {
  it("keeps info and above with the child loggers' bindings as fields, but not the task's identity or debug lines", async () => {
    const writer = new RecordingWriter();
    const buffer = new TaskLogBuffer(TASK, 1, writer, fail, limits());
    const root = teeTaskLogger(silentLogger, buffer).child({ taskId: TASK, plugin: 'test.p', taskType: 't' });
    root.debug('not kept');
    root.info('plain');
    root.child({ feed: 'debian' }).warn({ status: 304 }, 'feed checked');
    root.error(new Error('bad thing'));
    root.info({ msg: 'inline message', n: 1 });
    await buffer.close();
    expect(writer.lines.map(({ level, message, fields }) => ({ level, message, fields }))).toEqual([
      { level: info, message: 'plain', fields: null },
      { level: warn, message: 'feed checked', fields: { feed: 'debian', status: 304 } },
      { level: error, message: 'bad thing', fields: { err: { type: 'Error', message: 'bad thing' } } },
      { level: info, message: 'inline message', fields: { n: 1 } },
    ]);
  });
});

function fail(error: unknown): never {
  throw error;
}
