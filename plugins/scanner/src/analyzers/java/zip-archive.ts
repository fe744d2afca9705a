import { BadInputError } from '@bulkhead/plugin-sdk';
import { fromBufferPromise, type Entry } from 'yauzl';

/**
 * Bounds on reading a Java archive and the archives nested in it. A zip's central directory
 * declares every entry's sizes and yauzl (validateEntrySizes) fails a stream that inflates to
 * more than declared, so checking declared sizes before inflating bounds memory and time.
 */
export interface ZipLimits {
  /** Entries per archive (a large Spring Boot jar has a few tens of thousands). */
  maxEntries: number;
  /** Largest nested archive inflated into memory to be read in turn. */
  maxNestedBytes: number;
  /** Archives inside archives inside the top one (a WAR's WEB-INF/lib jar is depth 1). */
  maxDepth: number;
  /** Inflated bytes over a whole top-level archive, nested ones included. */
  maxTotalBytes: number;
  /** Compression ratio beyond which an entry over 1 MiB is taken for a bomb. */
  maxRatio: number;
}

export const DEFAULT_ZIP_LIMITS: Readonly<ZipLimits> = Object.freeze({
  maxEntries: 200_000,
  maxNestedBytes: 64 * 1024 * 1024,
  maxDepth: 4,
  maxTotalBytes: 1024 * 1024 * 1024,
  maxRatio: 200,
});

/** Inflated-byte budget shared by an archive and everything nested in it. */
export interface ZipBudget {
  used: number;
}

export interface ZipEntry {
  name: string;
  size: number;
  /** Inflates the entry; refuses (BadInputError) one larger than `max` bytes or that looks like a bomb. */
  read(max: number): Promise<Buffer>;
}

/**
 * The entries of a zip held in memory, in central-directory order. File names are decoded and
 * checked by yauzl, which refuses the whole archive when one is absolute or climbs out with
 * `..` (nothing is written to disk here, but such an archive is hostile, not a real jar).
 */
export async function* zipEntries(content: Buffer, where: string, limits: ZipLimits, budget: ZipBudget): AsyncGenerator<ZipEntry> {
  let zip;
  try {
    zip = await fromBufferPromise(content, { lazyEntries: true, validateEntrySizes: true, decodeStrings: true, strictFileNames: false });
  } catch (error) {
    throw new BadInputError(`${where}: not a readable zip archive (${(error as Error).message})`);
  }
  if (zip.entryCount > limits.maxEntries) {
    zip.close();
    throw new BadInputError(`${where}: ${zip.entryCount} zip entries, over the limit of ${limits.maxEntries}`);
  }
  try {
    const entries = zip.eachEntry();
    for (;;) {
      let next: IteratorResult<Entry>;
      try {
        next = await entries.next();
      } catch (error) {
        throw new BadInputError(`${where}: corrupt zip directory (${(error as Error).message})`);
      }
      if (next.done) return;
      const entry = next.value;
      if (entry.fileName.endsWith('/')) continue;
      const open = zip;
      yield {
        name: entry.fileName,
        size: entry.uncompressedSize,
        read: async (max) => {
          const name = `${where}/${entry.fileName}`;
          if (entry.uncompressedSize > max) throw new BadInputError(`${name}: ${entry.uncompressedSize} bytes, over the ${max}-byte limit`);
          if (entry.uncompressedSize > 1024 * 1024 && entry.uncompressedSize / Math.max(1, entry.compressedSize) > limits.maxRatio) {
            throw new BadInputError(`${name}: compression ratio ${Math.round(entry.uncompressedSize / Math.max(1, entry.compressedSize))}:1 looks like a zip bomb`);
          }
          if (budget.used + entry.uncompressedSize > limits.maxTotalBytes) throw new BadInputError(`${name}: the archive inflates to more than ${limits.maxTotalBytes} bytes`);
          budget.used += entry.uncompressedSize;
          try {
            const stream = await open.openReadStreamPromise(entry);
            const chunks: Buffer[] = [];
            for await (const chunk of stream) chunks.push(chunk as Buffer);
            return Buffer.concat(chunks);
          } catch (error) {
            throw new BadInputError(`${name}: unreadable zip entry (${(error as Error).message})`);
          }
        },
      };
    }
  } finally {
    zip.close();
  }
}
