import { transformFileSync } from '@swc/core';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createLogger, flushLogs, LOG_FLUSH_MS, logDestination } from './logger';

/** This module compiled to CommonJS in a temp folder, so a child process can load it as it is. */
function compiledLogger(dir: string): string {
  const { code } = transformFileSync(path.join(__dirname, 'logger.ts'), { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } });
  const file = path.join(dir, 'logger.js');
  writeFileSync(file, code);
  return file;
}

function lines(file: string): string[] {
  return readFileSync(file, 'utf8').split('\n').filter(Boolean);
}

describe('asynchronous logging', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'bulkhead-log-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes every line, in order, once flushed', () => {
    const file = path.join(dir, 'out.log');
    const logger = createLogger('test', { destination: logDestination(file) });
    for (let i = 0; i < 5_000; i++) logger.info({ i }, 'line');
    flushLogs(logger);
    const written = lines(file).map((l) => (JSON.parse(l) as { i: number }).i);
    expect(written).toEqual(Array.from({ length: 5_000 }, (_, i) => i));
  });

  it.each([
    ['an uncaught exception', "setImmediate(() => { throw new Error('boom'); });", 1],
    ['process.exit()', 'process.exit(3);', 3],
    ['the event loop running dry', '', 0],
  ])('loses no line when the process ends by %s', (_what, ending, code) => {
    const module = compiledLogger(dir);
    const file = path.join(dir, 'crash.log');
    const script = `const { createLogger, logDestination } = require(${JSON.stringify(module)});
const logger = createLogger('crash', { destination: logDestination(${JSON.stringify(file)}) });
for (let i = 0; i < 20000; i++) logger.info({ i }, 'a line long enough to need several writes ${'x'.repeat(80)}');
${ending}`;
    const child = spawnSync(process.execPath, ['-e', script], { env: { ...process.env, NODE_PATH: path.join(__dirname, '../../../node_modules') }, encoding: 'utf8', timeout: 30_000 });
    expect({ status: child.status, stderr: code === 1 ? '' : child.stderr }).toEqual({ status: code, stderr: '' });
    const written = lines(file);
    expect(written).toHaveLength(20_000);
    expect((JSON.parse(written.at(-1) ?? '{}') as { i: number }).i).toBe(19_999);
  });

  it('writes a lone line within the flush period, without waiting for the buffer to fill', async () => {
    const file = path.join(dir, 'quiet.log');
    const logger = createLogger('test', { destination: logDestination(file) });
    logger.info('alone');
    await new Promise((resolve) => setTimeout(resolve, LOG_FLUSH_MS * 5));
    expect(lines(file).map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual(['alone']);
    flushLogs(logger);
  });
});
