import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';

/** sha256 of a whole stream, honouring an AbortSignal. */
export async function hashStream(stream: Readable, signal?: AbortSignal): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of stream) {
    signal?.throwIfAborted();
    hash.update(chunk as Buffer);
  }
  return `sha256:${hash.digest('hex')}`;
}
