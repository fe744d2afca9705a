import { BadInputError } from '@bulkhead/plugin-sdk';

/*
 * BerkeleyDB Hash database, the legacy rpm `Packages` file (RHEL/CentOS <= 8, Amazon Linux 2).
 * Only what rpm stores is read: the values of hash pages that live on overflow pages (HOFFPAGE
 * items), each an rpm header blob, concatenated along the overflow chain. Layout: Berkeley DB
 * src/dbinc/db_page.h (go-rpmdb pkg/bdb reads it the same way).
 */

const HASH_MAGIC = 0x061561;
const PAGE_HEADER_SIZE = 26;
const HASH_METADATA_PAGE = 8;
const HASH_PAGE = 13;
const HASH_UNSORTED_PAGE = 2; // RHEL/CentOS 5
const OVERFLOW_PAGE = 7;
const HOFFPAGE_ITEM = 3;
const HOFFPAGE_SIZE = 12;
const VALID_PAGE_SIZES = new Set([512, 1024, 2048, 4096, 8192, 16384, 32768, 65536]);

export function isBerkeleyDb(data: Buffer): boolean {
  return data.length >= 26 && (data.readUInt32LE(12) === HASH_MAGIC || data.readUInt32BE(12) === HASH_MAGIC);
}

/** The header blobs stored in a BerkeleyDB Hash rpm database, in page order. */
export function* berkeleyDbBlobs(data: Buffer, where: string): Generator<Buffer> {
  const fail = (message: string): never => {
    throw new BadInputError(`${where}: BerkeleyDB: ${message}`);
  };
  if (data.length < 512) fail(`${data.length} bytes is shorter than a metadata page`);
  // The magic tells the byte order the database was written in (a big-endian host's is swapped).
  const littleEndian = data.readUInt32LE(12) === HASH_MAGIC;
  if (!littleEndian && data.readUInt32BE(12) !== HASH_MAGIC) fail('not a Hash database (bad magic)');
  const u32 = (offset: number): number => (littleEndian ? data.readUInt32LE(offset) : data.readUInt32BE(offset));
  const u16 = (offset: number): number => (littleEndian ? data.readUInt16LE(offset) : data.readUInt16BE(offset));

  const pageSize = u32(20);
  if (!VALID_PAGE_SIZES.has(pageSize)) fail(`unexpected page size ${pageSize}`);
  if (data[24] !== 0) fail(`encrypted database (algorithm ${data[24]}) is not supported`);
  if (data[25] !== HASH_METADATA_PAGE) fail(`first page has type ${data[25]}, not hash metadata`);
  const lastPage = u32(32);
  const pageCount = Math.floor(data.length / pageSize);
  if (lastPage >= pageCount) fail(`metadata names last page ${lastPage}, the file holds ${pageCount} pages (truncated?)`);

  for (let pageNo = 0; pageNo <= lastPage; pageNo++) {
    const page = pageNo * pageSize;
    const pageType = data[page + 25];
    if (pageType !== HASH_PAGE && pageType !== HASH_UNSORTED_PAGE) continue;
    const entries = u16(page + 20);
    if (entries % 2 !== 0) fail(`page ${pageNo}: odd entry count ${entries} (key/value pairs expected)`);
    if (PAGE_HEADER_SIZE + entries * 2 > pageSize) fail(`page ${pageNo}: ${entries} entries do not fit the page`);
    // Index entries alternate key, value; values are the odd ones.
    for (let i = 1; i < entries; i += 2) {
      const itemOffset = u16(page + PAGE_HEADER_SIZE + i * 2);
      if (itemOffset < PAGE_HEADER_SIZE || itemOffset >= pageSize) fail(`page ${pageNo}: item offset ${itemOffset} outside the page`);
      const item = page + itemOffset;
      // Only off-page items hold package headers (rpm's values are always larger than a page).
      if (data[item] !== HOFFPAGE_ITEM) continue;
      if (itemOffset + HOFFPAGE_SIZE > pageSize) fail(`page ${pageNo}: off-page item at ${itemOffset} runs past the page`);
      yield overflowValue(data, u32(item + 4), u32(item + 8), { pageSize, pageCount, u32, u16, fail });
    }
  }
}

interface PageReader {
  pageSize: number;
  pageCount: number;
  u32: (offset: number) => number;
  u16: (offset: number) => number;
  fail: (message: string) => never;
}

/** Concatenates an overflow chain; a chain that loops or leaves the file is an error. */
function overflowValue(data: Buffer, firstPage: number, length: number, r: PageReader): Buffer {
  const parts: Buffer[] = [];
  let total = 0;
  const visited = new Set<number>();
  for (let pageNo = firstPage; pageNo !== 0; ) {
    if (pageNo >= r.pageCount) r.fail(`overflow chain points at page ${pageNo}, past the ${r.pageCount} pages of the file`);
    if (visited.has(pageNo)) r.fail(`overflow chain loops at page ${pageNo}`);
    visited.add(pageNo);
    const page = pageNo * r.pageSize;
    if (data[page + 25] !== OVERFLOW_PAGE) r.fail(`overflow chain reaches page ${pageNo} of type ${data[page + 25]}`);
    const next = r.u32(page + 16);
    // The last page holds `free area offset` bytes; the others are full.
    const used = next === 0 ? r.u16(page + 22) : r.pageSize - PAGE_HEADER_SIZE;
    if (PAGE_HEADER_SIZE + used > r.pageSize) r.fail(`overflow page ${pageNo} claims ${used} bytes`);
    parts.push(data.subarray(page + PAGE_HEADER_SIZE, page + PAGE_HEADER_SIZE + used));
    total += used;
    pageNo = next;
  }
  const value = Buffer.concat(parts, total);
  // The item records the value's total length; trust the chain but never return more than it.
  return length > 0 && length < value.length ? value.subarray(0, length) : value;
}
