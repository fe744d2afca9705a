import { Readable } from 'node:stream';
import type { HostRequest } from '@bulkhead/plugin-sdk/api';
import { StreamedBodyReader } from './body-reader';

function request(chunks: string[], headers: Record<string, string> = {}): HostRequest & { consumed: () => number } {
  let consumed = 0;
  const stream = Readable.from(
    (function* () {
      for (const chunk of chunks) {
        consumed++;
        yield Buffer.from(chunk);
      }
    })(),
  ) as unknown as HostRequest & { consumed: () => number };
  stream.headers = headers;
  stream.consumed = () => consumed;
  return stream;
}

describe('StreamedBodyReader', () => {
  const reader = new StreamedBodyReader(10);

  it('reads a body within the limit', async () => {
    expect((await reader.readAll(request(['abc', 'def']))).toString()).toBe('abcdef');
  });

  it('refuses a declared Content-Length over the limit before reading anything', async () => {
    const body = request(['x'], { 'content-length': '11' });
    expect(await reader.readAll(body)).toEqual({ tooLarge: true, limit: 10 });
    expect(body.consumed()).toBe(0);
  });

  it('stops reading once an undeclared body passes the limit', async () => {
    const body = request(['12345', '67890', '1', 'never', 'read']);
    expect(await reader.readAll(body)).toEqual({ tooLarge: true, limit: 10 });
    expect(body.consumed()).toBeLessThan(5);
  });

  it('streams lines, reporting (and skipping) a line longer than the limit', async () => {
    const lines = [];
    for await (const line of reader.lines(request(['{"a":1}\n', 'x'.repeat(25), '\n\r\n{"b":2}\r\n']))) lines.push(line);
    expect(lines).toEqual([
      { number: 1, text: '{"a":1}' },
      { number: 2, tooLarge: true, limit: 10 },
      { number: 4, text: '{"b":2}' },
    ]);
  });
});
