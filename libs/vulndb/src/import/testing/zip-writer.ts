import { crc32, deflateRawSync } from 'node:zlib';

/*
 * A minimal zip writer for tests (no zip writer is a dependency): stored or deflated entries,
 * with hooks to write the hostile archives the readers must refuse (entries whose declared
 * sizes lie, central-directory records pointing at one shared local entry). Test-only code.
 */

export interface ZipEntrySpec {
  name: string;
  data: Buffer | string;
  /** Deflate (default) or store. */
  store?: boolean;
  /** Declared uncompressed size to write instead of the real one (a lying entry). */
  declaredSize?: number;
}

export interface ZipOptions {
  /**
   * Write the first entry's data once and point this many extra central-directory records at
   * it (an overlapping-entry zip bomb: each record declares the full inflated size).
   */
  overlapCopies?: number;
}

export function buildZip(entries: ZipEntrySpec[], options: ZipOptions = {}): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  const central = (name: Buffer, method: number, crc: number, compressed: number, declared: number, localOffset: number): Buffer => {
    const header = Buffer.alloc(46);
    header.writeUInt32LE(0x02014b50, 0);
    header.writeUInt16LE(20, 4);
    header.writeUInt16LE(20, 6);
    header.writeUInt16LE(0x800, 8); // UTF-8 names
    header.writeUInt16LE(method, 10);
    header.writeUInt32LE(crc >>> 0, 16);
    header.writeUInt32LE(compressed, 20);
    header.writeUInt32LE(declared >>> 0, 24);
    header.writeUInt16LE(name.length, 28);
    header.writeUInt32LE(localOffset, 42);
    return Buffer.concat([header, name]);
  };
  for (const [index, entry] of entries.entries()) {
    const raw = Buffer.isBuffer(entry.data) ? entry.data : Buffer.from(entry.data);
    const method = entry.store ? 0 : 8;
    const body = entry.store ? raw : deflateRawSync(raw, { level: 9 });
    const crc = crc32(raw);
    const declared = entry.declaredSize ?? raw.length;
    const name = Buffer.from(entry.name);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x800, 6);
    local.writeUInt16LE(method, 8);
    local.writeUInt32LE(crc >>> 0, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(declared >>> 0, 22);
    local.writeUInt16LE(name.length, 26);
    locals.push(local, name, body);
    centrals.push(central(name, method, crc, body.length, declared, offset));
    if (index === 0) {
      for (let copy = 1; copy <= (options.overlapCopies ?? 0); copy++) {
        centrals.push(central(Buffer.from(`copy-${copy}-${entry.name}`), method, crc, body.length, declared, offset));
      }
    }
    offset += local.length + name.length + body.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(centrals.length, 8);
  end.writeUInt16LE(centrals.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}
