import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BlockCacheReader } from './block-reader';

describe('BlockCacheReader', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'bh-block-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('returns exactly the file bytes for reads across blocks, past the end and larger than a block', async () => {
    const content = randomBytes(1000);
    const file = path.join(dir, 'data');
    writeFileSync(file, content);
    const reader = new BlockCacheReader(await open(file, 'r'), content.length, 64, 2);
    // Deterministic pseudo-random positions and lengths (including reads bigger than a block).
    let seed = 7;
    const next = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
    for (let i = 0; i < 500; i++) {
      const position = next(1100);
      const length = next(i % 10 === 0 ? 300 : 90);
      const buffer = Buffer.alloc(length);
      const read = await reader.readAt(buffer, 0, length, position);
      const expected = content.subarray(Math.min(position, content.length), Math.min(position + length, content.length));
      expect([i, read]).toEqual([i, expected.length]);
      expect(buffer.subarray(0, read).equals(expected)).toBe(true);
    }
    await new Promise<void>((resolve, reject) => reader.close((error) => (error ? reject(error) : resolve())));
  });

  it('serves yauzl-style callbacks with the byte count and streams for ranges', async () => {
    const file = path.join(dir, 'data');
    writeFileSync(file, 'hello, zip');
    const reader = new BlockCacheReader(await open(file, 'r'), 10);
    const buffer = Buffer.alloc(5);
    const count = await new Promise<number | undefined>((resolve, reject) =>
      (reader.read as (b: Buffer, o: number, l: number, p: number, cb: (e: Error | null, n?: number) => void) => void)(buffer, 0, 5, 7, (e, n) => (e ? reject(e) : resolve(n))),
    );
    expect([count, buffer.subarray(0, 3).toString()]).toEqual([3, 'zip']);
    const chunks: Buffer[] = [];
    for await (const chunk of reader._readStreamForRange(0, 5)) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe('hello');
    await new Promise<void>((resolve, reject) => reader.close((error) => (error ? reject(error) : resolve())));
  });
});
