/** One line of a streamed body: its text, or the fact that it was longer than allowed. */
export type BodyLine = { number: number; text: string } | { number: number; tooLong: true };

/**
 * Splits a byte stream into lines (LF or CRLF) without holding more than one line: a line longer
 * than `maxLineBytes` is reported as too long and its bytes are dropped as they arrive, so a
 * body with no newline at all cannot grow memory. Blank lines are skipped (numbers still count).
 */
export async function* splitLines(chunks: AsyncIterable<Uint8Array | string>, maxLineBytes: number): AsyncGenerator<BodyLine> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let overlong = false;
  let number = 0;

  const finishLine = function* (tail: Buffer): Generator<BodyLine> {
    number++;
    if (overlong || pendingBytes + tail.length > maxLineBytes) {
      yield { number, tooLong: true };
    } else {
      let text = Buffer.concat([...pending, tail]).toString('utf8');
      if (text.endsWith('\r')) text = text.slice(0, -1);
      if (text.trim() !== '') yield { number, text };
    }
    pending = [];
    pendingBytes = 0;
    overlong = false;
  };

  for await (const chunk of chunks) {
    let buffer = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    for (let newline = buffer.indexOf(0x0a); newline >= 0; newline = buffer.indexOf(0x0a)) {
      yield* finishLine(buffer.subarray(0, newline));
      buffer = buffer.subarray(newline + 1);
    }
    if (buffer.length === 0) continue;
    if (overlong || pendingBytes + buffer.length > maxLineBytes) {
      overlong = true;
      pending = [];
      pendingBytes = 0;
    } else {
      // Copied: the stream may reuse the chunk's memory after this iteration.
      pending.push(Buffer.from(buffer));
      pendingBytes += buffer.length;
    }
  }
  if (overlong || pendingBytes > 0) yield* finishLine(Buffer.alloc(0));
}
