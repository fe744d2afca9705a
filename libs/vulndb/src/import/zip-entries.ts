import { stat } from 'node:fs/promises';
import { BadInputError } from '@bulkhead/plugin-sdk';
import yauzl from 'yauzl';
import { formatBytes, type ImportLimits } from './limits';

/*
 * Reads a zip archive (osv.dev's per-ecosystem `all.zip`) one entry at a time with yauzl, which
 * reads the central directory and then each entry by offset: the archive is never held in
 * memory, and each entry's bytes only while it is parsed. Entry names are only used in
 * messages (nothing is written to disk), so path traversal in names is harmless and not refused.
 *
 * Bounds (see ImportLimits): the entry count from the central directory; entries overlapping the
 * one before; each entry's declared
 * uncompressed size (an oversized entry is skipped with a reason, it is one record); the running
 * total of declared sizes, absolutely and as a ratio to the archive's size (overlapping-entry
 * zip bombs declare honest per-entry sizes but a total thousands of times the archive); and the
 * actual inflated bytes, which yauzl checks against the declared size (validateEntrySizes), so
 * an entry lying about its size stops at the lie.
 */

export type ZipEntryRead = { name: string; bytes: Buffer } | { name: string; skipped: string };

export async function* zipEntries(archive: string, limits: ImportLimits, accept: (name: string) => boolean): AsyncGenerator<ZipEntryRead> {
  const archiveBytes = (await stat(archive)).size;
  let zip: yauzl.ZipFile;
  try {
    // decodeStrings off: yauzl would refuse the whole archive for one absolute or `..` name.
    zip = await yauzl.openPromise(archive, { lazyEntries: true, autoClose: true, decodeStrings: false, validateEntrySizes: true });
  } catch (error) {
    throw new BadInputError(`${archive}: not a readable zip archive (${(error as Error).message})`, { cause: error });
  }
  try {
    if (zip.entryCount > limits.maxZipEntries) {
      throw new BadInputError(`${archive}: ${zip.entryCount} entries, over the limit of ${limits.maxZipEntries} (refusing a possible zip bomb)`);
    }
    let declaredTotal = 0;
    let previous: { start: number; end: number } | undefined;
    for await (const entry of zip.eachEntry()) {
      const name = yauzl.getFileNameLowLevel(entry.generalPurposeBitFlag, entry.fileNameRaw, entry.extraFields, false);
      // Overlapping entries (one deflate stream referenced by many central records, or each
      // entry's data holding the next's header) are how small zips declare petabytes. A local
      // header takes at least 30 bytes before its data, so a legitimate next entry never starts
      // inside [start, start + 30 + compressedSize) of the one before it.
      const start = entry.relativeOffsetOfLocalHeader;
      if (previous && start >= previous.start && start < previous.end) {
        throw new BadInputError(`${archive}: entry ${name} overlaps the entry before it (a zip bomb)`);
      }
      previous = { start, end: start + 30 + entry.compressedSize };
      if (name.endsWith('/') || !accept(name)) continue;
      declaredTotal += entry.uncompressedSize;
      if (declaredTotal > limits.maxZipTotalBytes) {
        throw new BadInputError(
          `${archive}: entries decompress to more than ${formatBytes(limits.maxZipTotalBytes)} (at ${name}); refusing a possible zip bomb`,
        );
      }
      if (declaredTotal > limits.zipRatioGraceBytes && declaredTotal > archiveBytes * limits.maxZipRatio) {
        throw new BadInputError(
          `${archive}: entries declare ${formatBytes(declaredTotal)} from a ${formatBytes(archiveBytes)} archive (ratio over ${limits.maxZipRatio}:1 at ${name}): a zip bomb`,
        );
      }
      if (entry.uncompressedSize > limits.maxRecordBytes) {
        yield { name, skipped: `declares ${formatBytes(entry.uncompressedSize)} uncompressed, over the ${formatBytes(limits.maxRecordBytes)} limit for one record` };
        continue;
      }
      if (entry.isEncrypted()) {
        yield { name, skipped: 'encrypted entry' };
        continue;
      }
      try {
        yield { name, bytes: await readEntry(zip, entry, limits.maxRecordBytes) };
      } catch (error) {
        // Corrupt deflate data or an entry inflating past its declared size: this entry only.
        yield { name, skipped: `unreadable entry: ${(error as Error).message}` };
      }
    }
  } catch (error) {
    if (error instanceof BadInputError) throw error;
    // yauzl's central-directory checks (inconsistent sizes, truncated records) fail the archive.
    throw new BadInputError(`${archive}: corrupt zip archive (${(error as Error).message})`, { cause: error });
  } finally {
    zip.close();
  }
}

async function readEntry(zip: yauzl.ZipFile, entry: yauzl.Entry, maxBytes: number): Promise<Buffer> {
  const stream = await zip.openReadStreamPromise(entry);
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    length += chunk.length;
    // Belt and braces: yauzl already stops at the declared size, which we bounded.
    if (length > maxBytes) {
      stream.destroy();
      throw new Error(`inflates past ${formatBytes(maxBytes)}`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, length);
}
