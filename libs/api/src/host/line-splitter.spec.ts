import { Readable } from 'node:stream';
import { splitLines, type BodyLine } from './line-splitter';

async function lines(chunks: (string | Buffer)[], max = 16): Promise<BodyLine[]> {
  const out: BodyLine[] = [];
  for await (const line of splitLines(Readable.from(chunks), max)) out.push(line);
  return out;
}

describe('splitLines', () => {
  it('splits on LF and CRLF across chunk boundaries, skipping blank lines', async () => {
    expect(await lines(['{"a":', '1}\r\n\n{"b"', ':2}\n{"c":3}'])).toEqual([
      { number: 1, text: '{"a":1}' },
      { number: 3, text: '{"b":2}' },
      { number: 4, text: '{"c":3}' },
    ]);
  });

  it('reports a line longer than the limit and goes on with the next one', async () => {
    expect(await lines(['0123456789', '0123456789', '\nshort\n', 'x'.repeat(40)])).toEqual([
      { number: 1, tooLong: true },
      { number: 2, text: 'short' },
      { number: 3, tooLong: true },
    ]);
  });

  it('keeps multi-byte characters split across chunks intact', async () => {
    const bytes = Buffer.from('{"é":"ü"}\n');
    expect(await lines([bytes.subarray(0, 3), bytes.subarray(3)])).toEqual([{ number: 1, text: '{"é":"ü"}' }]);
  });

  it('never holds more than the limit of an endless line', async () => {
    async function* endless(): AsyncGenerator<Buffer> {
      for (let i = 0; i < 1000; i++) yield Buffer.alloc(1024, 0x61);
      yield Buffer.from('\n{"ok":1}\n');
    }
    const out: BodyLine[] = [];
    for await (const line of splitLines(endless(), 4096)) out.push(line);
    expect(out).toEqual([{ number: 1, tooLong: true }, { number: 2, text: '{"ok":1}' }]);
  });
});
