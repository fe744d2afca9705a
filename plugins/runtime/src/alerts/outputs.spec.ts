import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import type { TaskLogger } from '@bulkhead/plugin-sdk';
import { FileOutput, StdoutOutput, WebhookOutput } from './outputs';
import type { FalcoAlert } from './alert';

const alert: FalcoAlert = { output: 'o', output_fields: {}, priority: 'Warning', rule: 'R', source: 'syscall', tags: [], time: '2024-01-01T00:00:00.000000000Z' };

describe('alert outputs', () => {
  it('stdout and file outputs write one JSON alert per line', async () => {
    const stream = new PassThrough();
    let text = '';
    stream.on('data', (c: Buffer) => (text += c.toString()));
    await new StdoutOutput(stream).send(alert);
    expect(JSON.parse(text)).toEqual(alert);
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'bh-out-')), 'sub', 'alerts.jsonl');
    const out = new FileOutput(file);
    await out.send(alert);
    await out.send({ ...alert, rule: 'S' });
    expect(readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l).rule)).toEqual(['R', 'S']);
  });

  it('webhook output POSTs JSON and logs failures without throwing', async () => {
    const calls: { url: string; init: RequestInit }[] = [];
    const ok = new WebhookOutput({ url: 'http://sidekick:2801/', fetch: (async (url: string, init: RequestInit) => (calls.push({ url, init }), new Response('', { status: 200 }))) as typeof fetch });
    await ok.send(alert);
    expect(calls[0].init.method).toBe('POST');
    expect(JSON.parse(String(calls[0].init.body))).toEqual(alert);
    expect(ok.delivered).toBe(1);

    const warnings: unknown[] = [];
    const logger = { warn: (o: unknown) => warnings.push(o) } as unknown as TaskLogger;
    const failing = new WebhookOutput({ url: 'http://down/', logger, fetch: (async () => new Response('', { status: 503 })) as typeof fetch });
    await expect(failing.send(alert)).resolves.toBeUndefined();
    const unreachable = new WebhookOutput({ url: 'http://127.0.0.1:9/', timeoutMs: 500, logger });
    await expect(unreachable.send(alert)).resolves.toBeUndefined();
    expect(failing.failures + unreachable.failures).toBe(2);
    expect(warnings).toHaveLength(2);
  });
});
