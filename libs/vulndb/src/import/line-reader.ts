/*
 * Splits a byte stream into lines without ever holding more than one line (bounded by
 * maxLineBytes): JSON-lines files and the Debian tracker lists are read this way. An overlong
 * line is not accumulated; it is reported with its length and the reader resumes at the next
 * newline, so a 50 MB line costs no more memory than a short one.
 */

export type Line = { lineNo: number; text: Buffer } | { lineNo: number; overlongBytes: number };

export async function* boundedLines(chunks: AsyncIterable<Buffer | string>, maxLineBytes: number): AsyncGenerator<Line> {
  let parts: Buffer[] = [];
  let length = 0;
  let overlong = false;
  let lineNo = 1;
  const finish = (): Line => {
    const line: Line = overlong ? { lineNo, overlongBytes: length } : { lineNo, text: stripCr(Buffer.concat(parts, length)) };
    parts = [];
    length = 0;
    overlong = false;
    lineNo++;
    return line;
  };
  for await (const raw of chunks) {
    const chunk = typeof raw === 'string' ? Buffer.from(raw) : raw;
    let start = 0;
    while (start < chunk.length) {
      const newline = chunk.indexOf(0x0a, start);
      const end = newline < 0 ? chunk.length : newline;
      append(chunk.subarray(start, end));
      if (newline < 0) break;
      yield finish();
      start = newline + 1;
    }
  }
  if (length > 0 || overlong) yield finish();

  function append(piece: Buffer): void {
    length += piece.length;
    if (overlong) return;
    if (length > maxLineBytes) {
      overlong = true;
      parts = [];
    } else if (piece.length > 0) parts.push(piece);
  }
}

function stripCr(line: Buffer): Buffer {
  return line.length > 0 && line[line.length - 1] === 0x0d ? line.subarray(0, -1) : line;
}
