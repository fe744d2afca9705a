import { PassThrough, pipeline, type Readable } from 'node:stream';
import { BadInputError } from '@bulkhead/plugin-sdk';
import type { BlobStore } from '../blob-store';
import type { RegistryClient } from './client';
import { formatRepository, type RegistryRepository } from './reference';

const BLOB_PATH = /^blobs\/(sha256|sha512)\/([a-f0-9]{64,128})$/;
/** A peeked stream nobody opens within this time is closed (its connection is not kept). */
const STASH_MS = 30_000;

interface Stashed {
  stream: Readable;
  timer: NodeJS.Timeout;
}

/**
 * The blobs of one repository as a BlobStore (`blobs/<alg>/<hex>` paths), so an image in a
 * registry is read like an OCI layout: every blob streams from the registry with its digest and
 * size verified, and nothing is written to disk.
 *
 * Only blobs the manifest named are known (`register`), with the sizes it declared: a registry
 * that sends more or other bytes fails the stream. `peek` (the layer reader sniffs compression
 * from the first bytes) keeps the stream it opened and hands it to the next `open` of that blob,
 * so sniffing costs no second request.
 */
export class RegistryBlobStore implements BlobStore {
  readonly description: string;
  private readonly sizes = new Map<string, number>();
  private readonly stash = new Map<string, Stashed>();

  constructor(
    private readonly client: RegistryClient,
    private readonly repo: RegistryRepository,
  ) {
    this.description = `registry ${formatRepository(repo)}`;
  }

  /** Makes a blob known, with the size its descriptor declares. */
  register(digest: string, size: number): void {
    this.sizes.set(digest, size);
  }

  private digestOf(file: string): string {
    const match = BLOB_PATH.exec(file);
    if (!match) throw new BadInputError(`${this.description}: ${JSON.stringify(file)} is not a blob path`);
    return `${match[1]}:${match[2]}`;
  }

  async size(file: string): Promise<number | undefined> {
    return this.sizes.get(this.digestOf(file));
  }

  private known(file: string): { digest: string; size: number } {
    const digest = this.digestOf(file);
    const size = this.sizes.get(digest);
    if (size === undefined) throw new BadInputError(`${this.description}: blob ${digest} is not named by the manifest`);
    return { digest, size };
  }

  async readAll(file: string, maxBytes: number): Promise<Buffer> {
    const { digest, size } = this.known(file);
    if (size > maxBytes) throw new BadInputError(`${this.description}: blob ${digest} is ${size} bytes, over the ${maxBytes}-byte limit`);
    const stream = this.take(digest) ?? (await this.client.openBlob(this.repo, digest, size));
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  async peek(file: string, bytes: number): Promise<Buffer> {
    const { digest, size } = this.known(file);
    this.take(digest)?.destroy();
    const stream = await this.client.openBlob(this.repo, digest, size);
    const { head, ended } = await readHead(stream, bytes);
    if (!ended) {
      const timer = setTimeout(() => this.take(digest)?.destroy(), STASH_MS);
      timer.unref();
      this.stash.set(digest, { stream, timer });
    }
    return head.subarray(0, bytes);
  }

  private take(digest: string): Readable | undefined {
    const stashed = this.stash.get(digest);
    if (!stashed) return undefined;
    this.stash.delete(digest);
    clearTimeout(stashed.timer);
    return stashed.stream;
  }

  open(file: string): Readable {
    const { digest, size } = this.known(file);
    const out = new PassThrough({ highWaterMark: 1024 * 1024 });
    const stashed = this.take(digest);
    const connect = (source: Readable): void => {
      pipeline(source, out, () => undefined);
    };
    if (stashed) connect(stashed);
    else this.client.openBlob(this.repo, digest, size).then(connect, (error: unknown) => out.destroy(error as Error));
    return out;
  }

  /** Closes streams peeked but never opened. */
  close(): void {
    for (const digest of [...this.stash.keys()]) this.take(digest)?.destroy();
  }
}

/**
 * Reads at least `bytes` bytes (fewer at the end) without leaving paused mode, and puts them back
 * at the front of the stream at once: a short stream may have ended already, and its 'end' is
 * emitted on the next tick unless data is back in its buffer by then.
 */
function readHead(stream: Readable, bytes: number): Promise<{ head: Buffer; ended: boolean }> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let length = 0;
    const finish = (ended: boolean): void => {
      stream.off('readable', onReadable);
      stream.off('end', onEnd);
      stream.off('error', onError);
      resolve({ head: Buffer.concat(parts, length), ended });
    };
    const onReadable = (): void => {
      let chunk: Buffer | null;
      while (length < bytes && (chunk = stream.read() as Buffer | null) !== null) {
        parts.push(chunk);
        length += chunk.length;
      }
      if (length >= bytes) {
        stream.unshift(Buffer.concat(parts, length));
        finish(false);
      }
    };
    const onEnd = (): void => finish(true);
    const onError = (error: Error): void => {
      stream.off('readable', onReadable);
      stream.off('end', onEnd);
      reject(error);
    };
    stream.on('readable', onReadable);
    stream.once('end', onEnd);
    stream.once('error', onError);
  });
}
