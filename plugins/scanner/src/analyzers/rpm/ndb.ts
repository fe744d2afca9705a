import { BadInputError } from '@bulkhead/plugin-sdk';

/*
 * rpm's NDB format (`Packages.db`, SUSE/openSUSE, rpm >= 4.16): a 32-byte header ('RpmP', version,
 * generation, slot page count), then 4 KiB slot pages of 16-byte slots ('Slot', package index,
 * block offset, block count; the first two slots are the header), and 16-byte blocks, each blob
 * a header ('BlbS', package index, checksum, length) followed by the rpm header blob.
 * Source: rpm lib/backend/ndb/rpmpkg.c (go-rpmdb pkg/ndb reads it the same way).
 */

const HEADER_MAGIC = 0x506d7052; // 'RpmP' little-endian
const SLOT_MAGIC = 0x746f6c53; // 'Slot'
const BLOB_MAGIC = 0x53626c42; // 'BlbS'
const SLOT_PAGE_SIZE = 4096;
const SLOT_SIZE = 16;
const BLOCK_SIZE = 16;
/** go-rpmdb's sanity bound: 2048 slot pages = 524,286 packages. */
const MAX_SLOT_PAGES = 2048;

export function isNdb(data: Buffer): boolean {
  return data.length >= 32 && data.readUInt32LE(0) === HEADER_MAGIC;
}

/** The header blobs of an NDB rpm database, in slot order. */
export function* ndbBlobs(data: Buffer, where: string): Generator<Buffer> {
  const fail = (message: string): never => {
    throw new BadInputError(`${where}: NDB: ${message}`);
  };
  if (!isNdb(data)) fail('not an NDB database (bad magic)');
  const version = data.readUInt32LE(4);
  if (version !== 0) fail(`unsupported version ${version}`);
  const slotPages = data.readUInt32LE(12);
  if (slotPages === 0 || slotPages > MAX_SLOT_PAGES) fail(`slot page count ${slotPages} outside 1..${MAX_SLOT_PAGES}`);
  const slotsEnd = slotPages * SLOT_PAGE_SIZE;
  if (slotsEnd > data.length) fail(`${slotPages} slot pages need ${slotsEnd} bytes, the file has ${data.length} (truncated?)`);

  // The first two 16-byte slots of page 0 are the database header.
  for (let slot = 2 * SLOT_SIZE; slot < slotsEnd; slot += SLOT_SIZE) {
    const magic = data.readUInt32LE(slot);
    if (magic !== SLOT_MAGIC) fail(`slot at byte ${slot}: bad magic 0x${magic.toString(16)}`);
    const pkgIndex = data.readUInt32LE(slot + 4);
    if (pkgIndex === 0) continue; // a free slot
    const blobHeader = data.readUInt32LE(slot + 8) * BLOCK_SIZE;
    if (blobHeader + BLOCK_SIZE > data.length) fail(`package ${pkgIndex}: block offset ${blobHeader} is past the end of the file`);
    if (data.readUInt32LE(blobHeader) !== BLOB_MAGIC) fail(`package ${pkgIndex}: bad blob magic at byte ${blobHeader}`);
    if (data.readUInt32LE(blobHeader + 4) !== pkgIndex) fail(`package ${pkgIndex}: the blob at byte ${blobHeader} belongs to package ${data.readUInt32LE(blobHeader + 4)}`);
    const length = data.readUInt32LE(blobHeader + 12);
    const start = blobHeader + BLOCK_SIZE;
    if (start + length > data.length) fail(`package ${pkgIndex}: blob of ${length} bytes runs past the end of the file`);
    yield data.subarray(start, start + length);
  }
}
