import type { FileHandle } from 'node:fs/promises';
import { PassThrough, type Readable } from 'node:stream';
import yauzl from 'yauzl';

/*
 * A yauzl RandomAccessReader over one file that serves reads from a few cached 1 MiB blocks.
 * yauzl reads every central-directory record, local header and small entry with its own read;
 * an osv.dev archive of 200,000 records is 600,000 tiny syscalls that way, each a thread-pool
 * round trip. Records are read in archive order, so one block serves hundreds of them; two
 * regions are in play at once (the central directory at the end, the data from the start),
 * hence a small LRU of blocks rather than one. Memory: maxBlocks × blockSize.
 */
export class BlockCacheReader extends yauzl.RandomAccessReader {
  private readonly blocks = new Map<number, Buffer>();

  constructor(
    private readonly handle: FileHandle,
    private readonly size: number,
    private readonly blockSize = 1024 * 1024,
    private readonly maxBlocks = 4,
  ) {
    super();
  }

  /** Copies up to `length` bytes at `position` into `buffer`; returns the bytes copied (short at end of file). */
  async readAt(buffer: Buffer, offset: number, length: number, position: number): Promise<number> {
    let copied = 0;
    while (copied < length && position + copied < this.size) {
      const at = position + copied;
      if (length - copied >= this.blockSize) {
        // Large reads (big entries) bypass the cache instead of evicting it.
        const { bytesRead } = await this.handle.read(buffer, offset + copied, length - copied, at);
        if (bytesRead === 0) break;
        copied += bytesRead;
        continue;
      }
      const index = Math.floor(at / this.blockSize);
      const block = await this.block(index);
      const within = at - index * this.blockSize;
      const count = Math.min(length - copied, block.length - within);
      if (count <= 0) break;
      block.copy(buffer, offset + copied, within, within + count);
      copied += count;
    }
    return copied;
  }

  private async block(index: number): Promise<Buffer> {
    const cached = this.blocks.get(index);
    if (cached) {
      // Most recently used last.
      this.blocks.delete(index);
      this.blocks.set(index, cached);
      return cached;
    }
    const start = index * this.blockSize;
    const data = Buffer.allocUnsafe(Math.min(this.blockSize, this.size - start));
    const { bytesRead } = await this.handle.read(data, 0, data.length, start);
    const block = data.subarray(0, bytesRead);
    this.blocks.set(index, block);
    if (this.blocks.size > this.maxBlocks) {
      const oldest = this.blocks.keys().next().value;
      if (oldest !== undefined) this.blocks.delete(oldest);
    }
    return block;
  }

  override read(buffer: Buffer, offset: number, length: number, position: number, callback: (err: Error | null) => void): void {
    // yauzl's readAndAssertNoEof takes the byte count as the callback's second argument.
    const done = callback as (err: Error | null, bytesRead?: number) => void;
    this.readAt(buffer, offset, length, position).then(
      (bytesRead) => done(null, bytesRead),
      (error: Error) => done(error),
    );
  }

  override _readStreamForRange(start: number, end: number): Readable {
    const out = new PassThrough();
    const buffer = Buffer.allocUnsafe(end - start);
    this.readAt(buffer, 0, end - start, start).then(
      (bytesRead) => out.end(buffer.subarray(0, bytesRead)),
      (error: Error) => out.destroy(error),
    );
    return out;
  }

  override close(callback: (err: Error | null) => void): void {
    this.blocks.clear();
    this.handle.close().then(
      () => callback(null),
      (error: Error) => callback(error),
    );
  }
}
