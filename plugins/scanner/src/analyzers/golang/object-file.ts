import { BadInputError } from '@bulkhead/plugin-sdk';

/**
 * Just enough of ELF, Mach-O and PE to find a named section and to read the bytes at a virtual
 * address, which is what reading Go build info (`.go.buildinfo`) and cargo-auditable's
 * dependency list (`.dep-v0`) takes. Every offset and size read from the file is checked against
 * the buffer, so a truncated or hostile binary gives a BadInputError, never an out-of-range read.
 * Used by the Go and Rust binary analyzers.
 */
export interface ObjectSection {
  name: string;
  /** Segment name (Mach-O only: `__DATA`). */
  segment?: string;
  /** Virtual address the section is loaded at. */
  addr: bigint;
  /** File offset and size of its bytes (size 0 for sections without file contents). */
  offset: number;
  size: number;
  /** ELF/PE/Mach-O flags as the format defines them (only used to pick a data section). */
  flags: number;
}

interface Mapping {
  addr: bigint;
  offset: number;
  size: number;
}

export interface ObjectFile {
  format: 'elf' | 'macho' | 'pe';
  littleEndian: boolean;
  /** Pointer size in bytes (4 or 8). */
  ptrSize: number;
  sections: ObjectSection[];
  /**
   * Where Go's debug/buildinfo starts looking for the build info blob: the `.go.buildinfo`
   * (`__go_buildinfo`) section, else the first writable data segment or section.
   */
  dataStart?: bigint;
  /** Bytes of a section (bounded by the file), or undefined when absent or empty. */
  section(name: string): Buffer | undefined;
  /** Up to `size` bytes at virtual address `addr`, or undefined when no loaded segment maps it. */
  read(addr: bigint, size: number): Buffer | undefined;
  /**
   * The bytes of the ELF symbols (`.symtab`) whose names pass `wanted` and whose size is at most
   * `maxSize`; none for other formats or a stripped binary.
   */
  symbolData(wanted: (name: string) => boolean, maxSize: number): { name: string; data: Buffer }[];
}

/** Executable file formats the binary analyzers read, by their magic numbers. */
export function objectFormat(content: Buffer): ObjectFile['format'] | undefined {
  if (content.length < 64) return undefined;
  if (content.readUInt32BE(0) === 0x7f454c46) return 'elf';
  const magic = content.readUInt32LE(0);
  if (magic === 0xfeedface || magic === 0xfeedfacf || magic === 0xcefaedfe || magic === 0xcffaedfe) return 'macho';
  if (content[0] === 0x4d && content[1] === 0x5a) return 'pe';
  return undefined;
}

/** Parses the headers of an ELF, Mach-O or PE file; undefined for other files. */
export function readObjectFile(content: Buffer, file: string): ObjectFile | undefined {
  switch (objectFormat(content)) {
    case 'elf':
      return readElf(new Reader(content, file, content[5] !== 2));
    case 'macho':
      return readMachO(content, file);
    case 'pe':
      return readPe(new Reader(content, file, true));
    default:
      return undefined;
  }
}

/** Bounds-checked integer reads; every failure names the file. */
class Reader {
  constructor(
    readonly buf: Buffer,
    readonly file: string,
    readonly le: boolean,
  ) {}

  private check(offset: number, size: number): void {
    if (!Number.isSafeInteger(offset) || offset < 0 || offset + size > this.buf.length) {
      throw new BadInputError(`${this.file}: truncated executable (read of ${size} bytes at offset ${offset}, file is ${this.buf.length} bytes)`);
    }
  }

  u8(offset: number): number {
    this.check(offset, 1);
    return this.buf.readUInt8(offset);
  }

  u16(offset: number): number {
    this.check(offset, 2);
    return this.le ? this.buf.readUInt16LE(offset) : this.buf.readUInt16BE(offset);
  }

  u32(offset: number): number {
    this.check(offset, 4);
    return this.le ? this.buf.readUInt32LE(offset) : this.buf.readUInt32BE(offset);
  }

  u64(offset: number): bigint {
    this.check(offset, 8);
    return this.le ? this.buf.readBigUInt64LE(offset) : this.buf.readBigUInt64BE(offset);
  }

  /** A 64-bit value used as a file offset or size: must fit in the buffer's range. */
  u64n(offset: number): number {
    const value = this.u64(offset);
    return value > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(value);
  }

  cstring(offset: number, max: number): string {
    if (offset < 0 || offset >= this.buf.length) return '';
    const end = this.buf.indexOf(0, offset);
    const stop = Math.min(end < 0 ? this.buf.length : end, offset + max);
    return this.buf.toString('latin1', offset, stop);
  }
}

/** Sections and segments beyond these counts are refused: real binaries have a few dozen. */
const MAX_SECTIONS = 4096;
const MAX_LOAD_COMMANDS = 4096;

type SymbolData = ObjectFile['symbolData'];

function build(format: ObjectFile['format'], r: Reader, ptrSize: number, sections: ObjectSection[], mappings: Mapping[], dataStart: bigint | undefined, symbolData: SymbolData = () => []): ObjectFile {
  const slice = (offset: number, size: number): Buffer | undefined => {
    if (size <= 0 || offset < 0 || offset >= r.buf.length) return undefined;
    return r.buf.subarray(offset, Math.min(r.buf.length, offset + size));
  };
  return {
    format,
    littleEndian: r.le,
    ptrSize,
    sections,
    dataStart,
    symbolData,
    section(name) {
      const found = sections.find((s) => s.name === name);
      return found ? slice(found.offset, found.size) : undefined;
    },
    read(addr, size) {
      for (const m of mappings) {
        if (addr >= m.addr && addr < m.addr + BigInt(m.size)) {
          const delta = Number(addr - m.addr);
          return slice(m.offset + delta, Math.min(size, m.size - delta));
        }
      }
      return undefined;
    },
  };
}

const PT_LOAD = 1;
const SHT_SYMTAB = 2;
const PF_X = 1;
const PF_W = 2;

function readElf(r: Reader): ObjectFile {
  const is64 = r.u8(4) === 2;
  const ptrSize = is64 ? 8 : 4;
  const word = (offset: number): number => (is64 ? r.u64n(offset) : r.u32(offset));
  const addr = (offset: number): bigint => (is64 ? r.u64(offset) : BigInt(r.u32(offset)));
  const phoff = word(is64 ? 0x20 : 0x1c);
  const shoff = word(is64 ? 0x28 : 0x20);
  const phentsize = r.u16(is64 ? 0x36 : 0x2a);
  const phnum = r.u16(is64 ? 0x38 : 0x2c);
  const shentsize = r.u16(is64 ? 0x3a : 0x2e);
  const shnum = r.u16(is64 ? 0x3c : 0x30);
  const shstrndx = r.u16(is64 ? 0x3e : 0x32);
  if (shnum > MAX_SECTIONS) throw new BadInputError(`${r.file}: ELF header claims ${shnum} sections`);

  const mappings: Mapping[] = [];
  let dataSegment: bigint | undefined;
  for (let i = 0; i < phnum && phoff > 0; i++) {
    const p = phoff + i * phentsize;
    const type = r.u32(p);
    if (type !== PT_LOAD) continue;
    const flags = r.u32(is64 ? p + 4 : p + 24);
    const offset = word(is64 ? p + 8 : p + 4);
    const vaddr = addr(is64 ? p + 16 : p + 8);
    const filesz = word(is64 ? p + 32 : p + 16);
    mappings.push({ addr: vaddr, offset, size: filesz });
    if (dataSegment === undefined && (flags & (PF_X | PF_W)) === PF_W) dataSegment = vaddr;
  }

  const raw: { nameOffset: number; type: number; link: number; section: Omit<ObjectSection, 'name'> }[] = [];
  for (let i = 0; i < shnum && shoff > 0; i++) {
    const s = shoff + i * shentsize;
    const type = r.u32(s + 4);
    raw.push({
      nameOffset: r.u32(s),
      type,
      link: r.u32(is64 ? s + 40 : s + 24),
      section: {
        flags: is64 ? Number(r.u64(s + 8) & 0xffffffffn) : r.u32(s + 8),
        addr: addr(is64 ? s + 16 : s + 12),
        offset: word(is64 ? s + 24 : s + 16),
        // SHT_NOBITS (.bss) has a size but no bytes in the file.
        size: type === 8 ? 0 : word(is64 ? s + 32 : s + 20),
      },
    });
  }
  const names = raw[shstrndx]?.section;
  const sections = raw.map(({ nameOffset, section }) => ({ ...section, name: names ? r.cstring(names.offset + nameOffset, 256) : '' }));
  // Sections map addresses too (after the segments): an object without program headers.
  for (const s of sections) if (s.addr !== 0n && s.size > 0) mappings.push({ addr: s.addr, offset: s.offset, size: s.size });
  const buildinfo = sections.find((s) => s.name === '.go.buildinfo');
  const symbolData: SymbolData = (wanted, maxSize) => {
    const index = raw.findIndex((s) => s.type === SHT_SYMTAB);
    const symtab = raw[index];
    const strtab = symtab ? raw[symtab.link]?.section : undefined;
    if (!symtab || !strtab) return [];
    const entry = is64 ? 24 : 16;
    const out: { name: string; data: Buffer }[] = [];
    const end = Math.min(r.buf.length, symtab.section.offset + symtab.section.size);
    for (let at = symtab.section.offset + entry; at + entry <= end; at += entry) {
      const name = r.cstring(strtab.offset + r.u32(at), 512);
      if (!wanted(name)) continue;
      const value = is64 ? r.u64(at + 8) : BigInt(r.u32(at + 4));
      const size = is64 ? r.u64n(at + 16) : r.u32(at + 8);
      const shndx = r.u16(is64 ? at + 6 : at + 14);
      const target = sections[shndx];
      if (!target || size === 0 || size > maxSize || value < target.addr) continue;
      const offset = target.offset + Number(value - target.addr);
      if (offset + size > Math.min(r.buf.length, target.offset + target.size)) continue;
      out.push({ name, data: r.buf.subarray(offset, offset + size) });
    }
    return out;
  };
  return build('elf', r, ptrSize, sections, mappings, buildinfo?.addr ?? dataSegment, symbolData);
}

const LC_SEGMENT = 0x1;
const LC_SEGMENT_64 = 0x19;

function readMachO(content: Buffer, file: string): ObjectFile {
  const magicLe = content.readUInt32LE(0);
  // 0xfeedfac[ef] read little-endian means a little-endian file.
  const le = magicLe === 0xfeedface || magicLe === 0xfeedfacf;
  const r = new Reader(content, file, le);
  const is64 = (le ? magicLe : content.readUInt32BE(0)) === 0xfeedfacf;
  const ncmds = r.u32(16);
  if (ncmds > MAX_LOAD_COMMANDS) throw new BadInputError(`${file}: Mach-O header claims ${ncmds} load commands`);
  const sections: ObjectSection[] = [];
  const mappings: Mapping[] = [];
  let dataSegment: bigint | undefined;
  let cmd = is64 ? 32 : 28;
  for (let i = 0; i < ncmds; i++) {
    const type = r.u32(cmd);
    const size = r.u32(cmd + 4);
    if (size < 8) throw new BadInputError(`${file}: Mach-O load command ${i} has size ${size}`);
    if (type === LC_SEGMENT_64 || type === LC_SEGMENT) {
      const wide = type === LC_SEGMENT_64;
      const segname = r.cstring(cmd + 8, 16);
      const vmaddr = wide ? r.u64(cmd + 24) : BigInt(r.u32(cmd + 24));
      const fileoff = wide ? r.u64n(cmd + 40) : r.u32(cmd + 32);
      const filesize = wide ? r.u64n(cmd + 48) : r.u32(cmd + 36);
      const nsects = r.u32(wide ? cmd + 64 : cmd + 48);
      if (nsects > MAX_SECTIONS) throw new BadInputError(`${file}: Mach-O segment ${segname} claims ${nsects} sections`);
      mappings.push({ addr: vmaddr, offset: fileoff, size: filesize });
      if (segname === '__DATA' && dataSegment === undefined) dataSegment = vmaddr;
      let sect = cmd + (wide ? 72 : 56);
      for (let j = 0; j < nsects; j++) {
        sections.push({
          name: r.cstring(sect, 16),
          segment: r.cstring(sect + 16, 16),
          addr: wide ? r.u64(sect + 32) : BigInt(r.u32(sect + 32)),
          size: wide ? r.u64n(sect + 40) : r.u32(sect + 36),
          offset: r.u32(wide ? sect + 48 : sect + 40),
          flags: r.u32(wide ? sect + 64 : sect + 56),
        });
        sect += wide ? 80 : 68;
      }
    }
    cmd += size;
  }
  const buildinfo = sections.find((s) => s.name === '__go_buildinfo');
  return build('macho', r, is64 ? 8 : 4, sections, mappings, buildinfo?.addr ?? dataSegment);
}

const IMAGE_SCN_CNT_INITIALIZED_DATA = 0x40;
const IMAGE_SCN_MEM_READ = 0x40000000;
const IMAGE_SCN_MEM_WRITE = 0x80000000;
const IMAGE_SCN_ALIGN_32BYTES = 0x600000;

function readPe(r: Reader): ObjectFile {
  const pe = r.u32(0x3c);
  if (r.u32(pe) !== 0x00004550) throw new BadInputError(`${r.file}: MZ file without a PE header`);
  const coff = pe + 4;
  const nsections = r.u16(coff + 2);
  const optSize = r.u16(coff + 16);
  const opt = coff + 20;
  const is64 = r.u16(opt) === 0x20b;
  const imageBase = is64 ? r.u64(opt + 24) : BigInt(r.u32(opt + 28));
  const sections: ObjectSection[] = [];
  const mappings: Mapping[] = [];
  let dataSection: bigint | undefined;
  for (let i = 0; i < nsections; i++) {
    const s = opt + optSize + i * 40;
    const name = r.cstring(s, 8);
    const virtualSize = r.u32(s + 8);
    const va = r.u32(s + 12);
    const rawSize = r.u32(s + 16);
    const rawOffset = r.u32(s + 20);
    const flags = r.u32(s + 36) >>> 0;
    const addr = imageBase + BigInt(va);
    const size = Math.min(virtualSize || rawSize, rawSize);
    sections.push({ name, addr, offset: rawOffset, size, flags });
    mappings.push({ addr, offset: rawOffset, size });
    // Go's debug/buildinfo: the first initialised, readable, writable data section.
    const dataFlags = (IMAGE_SCN_CNT_INITIALIZED_DATA | IMAGE_SCN_MEM_READ | IMAGE_SCN_MEM_WRITE) >>> 0;
    if (dataSection === undefined && va !== 0 && size !== 0 && (flags & ~IMAGE_SCN_ALIGN_32BYTES) >>> 0 === dataFlags) dataSection = addr;
  }
  return build('pe', r, is64 ? 8 : 4, sections, mappings, dataSection);
}
