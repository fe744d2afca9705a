import { BadInputError } from '@bulkhead/plugin-sdk';
import { parseRpmHeader, RPMTAG } from './header';
import { rpmAnalyzer, parseRpmDatabase } from './analyzer';
import { berkeleyDbBlobs } from './bdb';
import { splitSourceRpm, rpmEvr } from './rpm-package';
import { parseRpmqaManifest } from './rpmqa';

/** Builds an rpm header blob from (tag, type, value) triples, laid out as rpm writes them. */
function headerBlob(entries: [number, 'string' | 'int32', string | number][]): Buffer {
  const data: Buffer[] = [];
  const index: Buffer[] = [];
  let offset = 0;
  for (const [tag, type, value] of entries) {
    let bytes: Buffer;
    if (type === 'int32') {
      const pad = (4 - (offset % 4)) % 4;
      if (pad) {
        data.push(Buffer.alloc(pad));
        offset += pad;
      }
      bytes = Buffer.alloc(4);
      bytes.writeInt32BE(value as number);
    } else bytes = Buffer.from(`${value as string}\0`);
    const entry = Buffer.alloc(16);
    entry.writeInt32BE(tag, 0);
    entry.writeUInt32BE(type === 'int32' ? 4 : 6, 4);
    entry.writeInt32BE(offset, 8);
    entry.writeUInt32BE(1, 12);
    index.push(entry);
    data.push(bytes);
    offset += bytes.length;
  }
  const preamble = Buffer.alloc(8);
  preamble.writeInt32BE(entries.length, 0);
  preamble.writeInt32BE(offset, 4);
  return Buffer.concat([preamble, ...index, ...data]);
}

const BASH: [number, 'string' | 'int32', string | number][] = [
  [RPMTAG.NAME, 'string', 'bash'],
  [RPMTAG.VERSION, 'string', '5.1.8'],
  [RPMTAG.RELEASE, 'string', '9.el9'],
  [RPMTAG.EPOCH, 'int32', 2],
  [RPMTAG.ARCH, 'string', 'x86_64'],
  [RPMTAG.SOURCERPM, 'string', 'bash-5.1.8-9.el9.src.rpm'],
  [RPMTAG.LICENSE, 'string', 'GPLv3+'],
];

describe('rpm header blobs', () => {
  it('decodes the fields, a later (dribble) entry overriding an earlier one', () => {
    const blob = headerBlob([...BASH, [RPMTAG.LICENSE, 'string', 'GPL-3.0-or-later']]);
    expect(parseRpmHeader(blob, 'x')).toMatchObject({ name: 'bash', version: '5.1.8', release: '9.el9', epoch: 2, arch: 'x86_64', license: 'GPL-3.0-or-later' });
  });

  it('refuses truncated blobs, offsets outside the data and counts the data cannot hold, naming the problem', () => {
    const blob = headerBlob(BASH);
    expect(() => parseRpmHeader(blob.subarray(0, 5), 'db (package 1)')).toThrow(/db \(package 1\): rpm header: blob of 5 bytes/);
    expect(() => parseRpmHeader(blob.subarray(0, blob.length - 3), 'db')).toThrow(/truncated/);

    const outside = Buffer.from(blob);
    outside.writeInt32BE(1_000_000, 8 + 8); // NAME's offset
    expect(() => parseRpmHeader(outside, 'db')).toThrow(/tag 1000: offset 1000000 outside/);

    const hugeIndex = Buffer.from(blob);
    hugeIndex.writeInt32BE(0x7fffffff, 0);
    expect(() => parseRpmHeader(hugeIndex, 'db')).toThrow(/header limit|truncated/);

    const hugeCount = Buffer.from(blob);
    hugeCount.writeUInt32BE(0xffffffff, 8 + 3 * 16 + 12); // EPOCH's count
    expect(() => parseRpmHeader(hugeCount, 'db')).toThrow(/tag 1003: 4294967295 int32 values/);

    const unterminated = headerBlob([[RPMTAG.NAME, 'string', 'bash']]);
    unterminated[unterminated.length - 1] = 0x41;
    expect(() => parseRpmHeader(unterminated, 'db')).toThrow(/string runs past the end/);

    const wrongType = headerBlob([[RPMTAG.NAME, 'int32', 7]]);
    expect(() => parseRpmHeader(wrongType, 'db')).toThrow(BadInputError);
  });
});

describe('rpm databases', () => {
  it('names files that are no rpm database, and truncated or hostile databases', () => {
    expect(() => parseRpmDatabase(Buffer.from('hello'), 'var/lib/rpm/Packages')).toThrow('var/lib/rpm/Packages: not an rpm database');

    const ndb = Buffer.alloc(4096);
    ndb.write('RpmP', 0, 'latin1');
    ndb.writeUInt32LE(5000, 12);
    expect(() => parseRpmDatabase(ndb, 'Packages.db')).toThrow(/slot page count 5000/);
    ndb.writeUInt32LE(2, 12);
    expect(() => parseRpmDatabase(ndb, 'Packages.db')).toThrow(/truncated/);

    const bdb = Buffer.alloc(4096);
    bdb.writeUInt32LE(0x061561, 12);
    bdb.writeUInt32LE(4096, 20);
    bdb[25] = 8;
    bdb.writeUInt32LE(9, 32); // last page 9 in a one-page file
    expect(() => parseRpmDatabase(bdb, 'Packages')).toThrow(/last page 9, the file holds 1 pages/);

    const sqlite = Buffer.alloc(4096);
    sqlite.write('SQLite format 3\0', 0, 'latin1');
    expect(() => parseRpmDatabase(sqlite, 'rpmdb.sqlite')).toThrow(/rpmdb.sqlite: SQLite/);
  });

  it('wants exactly the database paths rpm uses', () => {
    expect(rpmAnalyzer.wants('var/lib/rpm/Packages')).toBe(true);
    expect(rpmAnalyzer.wants('usr/lib/sysimage/rpm/rpmdb.sqlite')).toBe(true);
    expect(rpmAnalyzer.wants('var/lib/rpm/Packages.bak')).toBe(false);
    expect(rpmAnalyzer.wants('var/lib/rpm/rpmdb.sqlite-wal')).toBe(false);
  });
});

describe('rpm names and versions', () => {
  it('splits source rpm names as yum does', () => {
    expect(splitSourceRpm('util-linux-2.32.1-42.el8_8.src.rpm')).toEqual({ name: 'util-linux', version: '2.32.1', release: '42.el8_8' });
    expect(splitSourceRpm('nodashes.src.rpm')).toBeUndefined();
    expect(rpmEvr(1, '3.0.0', '8.azl3')).toBe('1:3.0.0-8.azl3');
    expect(rpmEvr(0, '3.0.0', '8')).toBe('3.0.0-8');
  });

  it('rpmqa: names the line of a malformed version or epoch', () => {
    const line = (versionRelease: string, epoch: string) => `a\t${versionRelease}\t1\t1\tV\t(none)\t1\tnoarch\t${epoch}\ta-1-1.src.rpm`;
    expect(() => parseRpmqaManifest(`${line('1-1', '0')}\n${line('1-1-1', '0')}`, 'm')).toThrow(/^m:2: version-release/);
    expect(() => parseRpmqaManifest(line('1-1', 'x'), 'm')).toThrow(/m:1: EPOCHNUM "x"/);
  });
});

/**
 * A BerkeleyDB Hash file laid out as Berkeley DB writes one (db_page.h): metadata page, one hash
 * page of key/value items whose values are off-page (HOFFPAGE), and overflow page chains.
 */
function berkeleyDb(blobs: Buffer[], littleEndian: boolean, pageSize = 512): Buffer {
  const capacity = pageSize - 26;
  const pages: Buffer[] = [Buffer.alloc(pageSize), Buffer.alloc(pageSize)];
  const u32 = (b: Buffer, at: number, v: number): number => (littleEndian ? b.writeUInt32LE(v, at) : b.writeUInt32BE(v, at));
  const u16 = (b: Buffer, at: number, v: number): number => (littleEndian ? b.writeUInt16LE(v, at) : b.writeUInt16BE(v, at));
  const hash = pages[1] as Buffer;
  hash[25] = 13;
  u16(hash, 20, blobs.length * 2);
  let itemAt = pageSize;
  blobs.forEach((blob, i) => {
    const first = pages.length;
    for (let at = 0; at < blob.length; at += capacity) {
      const page = Buffer.alloc(pageSize);
      const chunk = blob.subarray(at, at + capacity);
      page[25] = 7;
      const last = at + capacity >= blob.length;
      u32(page, 16, last ? 0 : pages.length + 1);
      u16(page, 22, last ? chunk.length : 0);
      chunk.copy(page, 26);
      pages.push(page);
    }
    itemAt -= 4; // key item: H_KEYDATA and 3 bytes of key
    hash[itemAt] = 1;
    u16(hash, 26 + i * 4, itemAt);
    itemAt -= 12; // value item: HOFFPAGE, page number, total length
    hash[itemAt] = 3;
    u32(hash, itemAt + 4, first);
    u32(hash, itemAt + 8, blob.length);
    u16(hash, 26 + i * 4 + 2, itemAt);
  });
  const meta = pages[0] as Buffer;
  u32(meta, 12, 0x061561);
  u32(meta, 20, pageSize);
  meta[25] = 8;
  u32(meta, 32, pages.length - 1);
  return Buffer.concat(pages);
}

describe('BerkeleyDB Hash reader', () => {
  const bash = headerBlob(BASH);
  const big = headerBlob([...BASH.slice(0, 3), [RPMTAG.LICENSE, 'string', 'x'.repeat(1500)]]);

  it.each([true, false])('reads values along overflow chains (little-endian %s)', (littleEndian) => {
    const db = berkeleyDb([bash, big], littleEndian);
    expect([...berkeleyDbBlobs(db, 'Packages')]).toEqual([bash, big]);
    expect(parseRpmDatabase(db, 'Packages').map((p) => p.name)).toEqual(['bash', 'bash']);
  });

  it('refuses an overflow chain that loops or leaves the file', () => {
    const looping = berkeleyDb([big], true);
    looping.writeUInt32LE(2, 2 * 512 + 16); // page 2 points back at itself
    expect(() => [...berkeleyDbBlobs(looping, 'Packages')]).toThrow('Packages: BerkeleyDB: overflow chain loops at page 2');
    const leaving = berkeleyDb([big], true);
    leaving.writeUInt32LE(99, 2 * 512 + 16);
    expect(() => [...berkeleyDbBlobs(leaving, 'Packages')]).toThrow(/overflow chain points at page 99, past the \d+ pages/);
  });
});

