import { open, stat } from 'node:fs/promises';
import { crc32, inflateRawSync } from 'node:zlib';
import { BadInputError } from '@bulkhead/plugin-sdk';
import yauzl from 'yauzl';
import { BlockCacheReader } from './block-reader';
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
 * actual inflated bytes, bounded by the declared size (an entry lying about its size stops at
 * the lie) and checked against the entry's CRC-32.
 */

export type ZipEntryRead = { name: string; bytes: Buffer } | { name: string; skipped: string };

export async function* zipEntries(archive: string, limits: ImportLimits, accept: (name: string) => boolean): AsyncGenerator<ZipEntryRead> {
  const archiveBytes = (await stat(archive)).size;
  let zip: yauzl.ZipFile;
  const handle = await open(archive, 'r');
  const reader = new BlockCacheReader(handle, archiveBytes);
  try {
    // decodeStrings off: yauzl would refuse the whole archive for one absolute or `..` name.
    zip = await yauzl.fromRandomAccessReaderPromise(reader, archiveBytes, { lazyEntries: true, autoClose: false, decodeStrings: false, validateEntrySizes: true });
  } catch (error) {
    await handle.close().catch(() => undefined);
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
        yield { name, bytes: await readEntry(zip, entry, reader, archiveBytes) };
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
    // Closes the reader, and with it the file, once yauzl lets go of it.
    zip.close();
  }
}

/**
 * One entry's bytes: its compressed data read with a single positioned read, then inflated in
 * one call bounded to the declared size (a lying entry fails at the lie), checked against the
 * declared size and CRC-32. Per-entry streams (one zlib stream per record) cost ~1 ms each,
 * which for osv.dev archives of 100,000s of small records dominated the import.
 */
async function readEntry(zip: yauzl.ZipFile, entry: yauzl.Entry, reader: BlockCacheReader, archiveBytes: number): Promise<Buffer> {
  // Deflate never expands data by more than 5 bytes per 16 KiB block (stored blocks), so a
  // larger compressed size is a lie meant to make us allocate it.
  if (entry.compressedSize > entry.uncompressedSize + Math.ceil(entry.uncompressedSize / 16384) * 5 + 1024) {
    throw new Error(`declares ${entry.compressedSize} compressed bytes for ${entry.uncompressedSize} uncompressed`);
  }
  const { fileDataStart } = await zip.readLocalFileHeaderPromise(entry, { minimal: true });
  if (fileDataStart + entry.compressedSize > archiveBytes) throw new Error(`data runs past the end of the archive (truncated?)`);
  const compressed = Buffer.alloc(entry.compressedSize);
  const bytesRead = await reader.readAt(compressed, 0, entry.compressedSize, fileDataStart);
  if (bytesRead !== entry.compressedSize) throw new Error(`read ${bytesRead} of ${entry.compressedSize} compressed bytes`);
  let data: Buffer;
  if (entry.compressionMethod === 0) data = compressed;
  else if (entry.compressionMethod === 8) {
    try {
      data = inflateRawSync(compressed, { maxOutputLength: Math.max(1, entry.uncompressedSize) });
    } catch (error) {
      const code = (error as { code?: string }).code;
      throw new Error(code === 'ERR_BUFFER_TOO_LARGE' ? `inflates past its declared ${entry.uncompressedSize} bytes` : `corrupt deflate data (${(error as Error).message})`, { cause: error });
    }
  } else throw new Error(`unsupported compression method ${entry.compressionMethod}`);
  if (data.length !== entry.uncompressedSize) throw new Error(`inflates to ${data.length} bytes, ${entry.uncompressedSize} declared`);
  if (crc32(data) >>> 0 !== entry.crc32 >>> 0) throw new Error('CRC-32 mismatch');
  return data;
}
