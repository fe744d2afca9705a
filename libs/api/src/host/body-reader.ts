import type { BodyLine, BodyTooLarge, HostBodyReader, HostRequest } from '@bulkhead/plugin-sdk/api';
import { splitLines } from './line-splitter';

/**
 * HostBodyReader: request bodies of plugin HTTP routes read as streams with the configured
 * limit (BULKHEAD_MAX_EVENT_BODY_BYTES) enforced while reading, never buffered past it.
 */
export class StreamedBodyReader implements HostBodyReader {
  constructor(readonly limit: number) {}

  /** A Content-Length over the limit is refused before reading anything. */
  declaredTooLarge(request: HostRequest): BodyTooLarge | undefined {
    const header = request.headers['content-length'];
    const declared = typeof header === 'string' ? Number(header) : NaN;
    return declared > this.limit ? { tooLarge: true, limit: this.limit } : undefined;
  }

  async readAll(request: HostRequest): Promise<Buffer | BodyTooLarge> {
    const declared = this.declaredTooLarge(request);
    if (declared) return declared;
    const parts: Buffer[] = [];
    let size = 0;
    for await (const chunk of request as AsyncIterable<Uint8Array | string>) {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      size += bytes.length;
      // Leaving the loop stops reading the stream: the rest is never held.
      if (size > this.limit) return { tooLarge: true, limit: this.limit };
      parts.push(bytes);
    }
    return Buffer.concat(parts);
  }

  async *lines(request: HostRequest): AsyncIterable<BodyLine> {
    for await (const line of splitLines(request as AsyncIterable<Uint8Array | string>, this.limit)) {
      yield 'text' in line ? line : { number: line.number, tooLarge: true, limit: this.limit };
    }
  }
}
