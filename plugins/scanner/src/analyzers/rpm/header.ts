import { BadInputError } from '@bulkhead/plugin-sdk';

/*
 * rpm header blobs: every rpm database format (BerkeleyDB, NDB, SQLite) stores one per installed
 * package. Layout (rpm lib/header.c, header_internal.h): int32 BE index count `il`, int32 BE data
 * size `dl`, `il` 16-byte index entries (tag, type, offset, count; all BE), then `dl` bytes of
 * data. Offsets are relative to the data start. The first entry is usually a region tag
 * (HEADERIMMUTABLE) describing the signed part; entries after the region ("dribble" entries,
 * written by rpm after install) override the same tags inside it, which is why the last entry of
 * a tag wins below (as go-rpmdb's uniqTagMap does).
 */

export const RPMTAG = {
  SIGMD5: 261,
  NAME: 1000,
  VERSION: 1001,
  RELEASE: 1002,
  EPOCH: 1003,
  SUMMARY: 1004,
  SIZE: 1009,
  VENDOR: 1011,
  LICENSE: 1014,
  ARCH: 1022,
  SOURCERPM: 1044,
  MODULARITYLABEL: 5096,
} as const;

const TYPE = { INT32: 4, STRING: 6, BIN: 7, STRING_ARRAY: 8, I18NSTRING: 9 } as const;

/** rpm refuses headers this large (lib/header.c headerMaxbytes); so do we. */
const HEADER_MAX_BYTES = 256 * 1024 * 1024;
const ENTRY_SIZE = 16;

/** The package fields Bulkhead reads from a header (go-rpmdb's PackageInfo subset). */
export interface RpmHeaderPackage {
  name: string;
  version: string;
  release: string;
  /** Undefined when the package has no epoch (rpm distinguishes "no epoch" from 0). */
  epoch?: number;
  arch: string;
  /** `util-linux-2.32.1-42.el8_8.src.rpm`; empty for gpg-pubkey and `(none)`. */
  sourceRpm: string;
  license: string;
  vendor: string;
  summary: string;
  size: number;
  modularityLabel: string;
  /** Hex MD5 of header+payload, as `rpm -q --qf %{SIGMD5}` prints it. */
  sigMd5: string;
}

interface Entry {
  type: number;
  offset: number;
  count: number;
}

/**
 * Decodes the fields above from one header blob. Every offset and count is checked against the
 * blob before it is read: a truncated blob, an entry pointing outside the data area or a count
 * larger than the data can hold raise a BadInputError naming the tag; nothing is allocated from
 * a count the data does not back.
 */
export function parseRpmHeader(blob: Uint8Array, where: string): RpmHeaderPackage {
  const fail = (message: string): never => {
    throw new BadInputError(`${where}: rpm header: ${message}`);
  };
  if (blob.length < 8) fail(`blob of ${blob.length} bytes is shorter than the 8-byte preamble`);
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  const il = view.getInt32(0);
  const dl = view.getInt32(4);
  if (il < 1) fail(`index count ${il} (a header has at least one tag)`);
  if (dl < 0) fail(`negative data size ${dl}`);
  const dataStart = 8 + il * ENTRY_SIZE;
  const dataEnd = dataStart + dl;
  if (dataEnd > HEADER_MAX_BYTES) fail(`index count ${il} and data size ${dl} exceed rpm's ${HEADER_MAX_BYTES}-byte header limit`);
  if (dataEnd > blob.length) fail(`index count ${il} and data size ${dl} need ${dataEnd} bytes, the blob has ${blob.length} (truncated?)`);

  const wanted = new Set<number>(Object.values(RPMTAG));
  const entries = new Map<number, Entry>();
  for (let i = 0; i < il; i++) {
    const at = 8 + i * ENTRY_SIZE;
    const tag = view.getInt32(at);
    if (!wanted.has(tag)) continue;
    const entry = { type: view.getUint32(at + 4), offset: view.getInt32(at + 8), count: view.getUint32(at + 12) };
    if (entry.offset < 0 || entry.offset >= dl) fail(`tag ${tag}: offset ${entry.offset} outside the ${dl}-byte data area`);
    entries.set(tag, entry);
  }

  const stringAt = (tag: number, entry: Entry): string => {
    const start = dataStart + entry.offset;
    const end = blob.indexOf(0, start);
    if (end < 0 || end >= dataEnd) fail(`tag ${tag}: string runs past the end of the data area`);
    return Buffer.from(blob.buffer, blob.byteOffset + start, end - start).toString('utf8');
  };
  const string = (tag: number): string => {
    const entry = entries.get(tag);
    if (!entry) return '';
    if (entry.type !== TYPE.STRING && entry.type !== TYPE.I18NSTRING && entry.type !== TYPE.STRING_ARRAY) fail(`tag ${tag}: type ${entry.type} where a string was expected`);
    if (entry.count < 1) fail(`tag ${tag}: string with count 0`);
    // I18N strings and string arrays: the first element (the C locale's, for I18N), as rpm -q shows.
    return stringAt(tag, entry);
  };
  const int32 = (tag: number): number | undefined => {
    const entry = entries.get(tag);
    if (!entry) return undefined;
    if (entry.type !== TYPE.INT32) fail(`tag ${tag}: type ${entry.type} where an int32 was expected`);
    if (entry.count < 1 || entry.offset % 4 !== 0 || entry.offset + 4 * entry.count > dl) fail(`tag ${tag}: ${entry.count} int32 values at offset ${entry.offset} do not fit the ${dl}-byte data area`);
    return view.getInt32(dataStart + entry.offset);
  };
  const binary = (tag: number): string => {
    const entry = entries.get(tag);
    if (!entry) return '';
    if (entry.type !== TYPE.BIN) fail(`tag ${tag}: type ${entry.type} where binary data was expected`);
    if (entry.offset + entry.count > dl) fail(`tag ${tag}: ${entry.count} bytes at offset ${entry.offset} do not fit the ${dl}-byte data area`);
    return Buffer.from(blob.buffer, blob.byteOffset + dataStart + entry.offset, entry.count).toString('hex');
  };
  // rpm writes `(none)` for absent source rpm, licence and vendor in some headers (go-rpmdb too).
  const noneless = (value: string): string => (value === '(none)' ? '' : value);

  const name = string(RPMTAG.NAME);
  if (!name) fail('no NAME tag');
  const epoch = int32(RPMTAG.EPOCH);
  return {
    name,
    version: string(RPMTAG.VERSION),
    release: string(RPMTAG.RELEASE),
    ...(epoch !== undefined ? { epoch } : {}),
    arch: string(RPMTAG.ARCH),
    sourceRpm: noneless(string(RPMTAG.SOURCERPM)),
    license: noneless(string(RPMTAG.LICENSE)),
    vendor: noneless(string(RPMTAG.VENDOR)),
    summary: string(RPMTAG.SUMMARY),
    size: int32(RPMTAG.SIZE) ?? 0,
    modularityLabel: string(RPMTAG.MODULARITYLABEL),
    sigMd5: binary(RPMTAG.SIGMD5),
  };
}
