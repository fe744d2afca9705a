/**
 * Builds minimal executables around a section's bytes, for tests: the binary fixtures Trivy
 * tests with are compiled programs and were not copied, only their extracted sections.
 */
export interface ElfSection {
  name: string;
  /** SHT_*: 1 PROGBITS (default), 2 SYMTAB, 3 STRTAB. */
  type?: number;
  addr?: bigint;
  data: Buffer;
  /** Index of the linked section (a symtab's string table). */
  link?: number;
  entsize?: number;
}

/** A 64-bit ELF executable with the given sections (after the null section) and a section name table. */
export function elf64(sections: readonly ElfSection[], options: { bigEndian?: boolean } = {}): Buffer {
  const le = !options.bigEndian;
  const names = ['', ...sections.map((s) => s.name), '.shstrtab'];
  const nameOffsets: number[] = [];
  let shstr = '';
  for (const name of names) {
    nameOffsets.push(shstr.length);
    shstr += `${name}\0`;
  }
  const shstrtab = Buffer.from(shstr, 'latin1');
  const offsets: number[] = [];
  let at = 0x100;
  for (const s of sections) {
    offsets.push(at);
    at += s.data.length;
  }
  const strOffset = at;
  const shoff = Math.ceil((strOffset + shstrtab.length) / 8) * 8;
  const count = sections.length + 2;
  const out = Buffer.alloc(shoff + count * 64);
  const u16 = (v: number, pos: number): number => (le ? out.writeUInt16LE(v, pos) : out.writeUInt16BE(v, pos));
  const u32 = (v: number, pos: number): number => (le ? out.writeUInt32LE(v, pos) : out.writeUInt32BE(v, pos));
  const u64 = (v: bigint, pos: number): number => (le ? out.writeBigUInt64LE(v, pos) : out.writeBigUInt64BE(v, pos));
  out.writeUInt32BE(0x7f454c46, 0);
  out[4] = 2; // ELFCLASS64
  out[5] = le ? 1 : 2;
  out[6] = 1;
  u16(2, 16); // ET_EXEC
  u16(62, 18); // x86-64
  u32(1, 20);
  u64(BigInt(shoff), 0x28);
  u16(64, 0x34);
  u16(56, 0x36);
  u16(0, 0x38);
  u16(64, 0x3a);
  u16(count, 0x3c);
  u16(count - 1, 0x3e);
  const header = (index: number, type: number, flags: bigint, addr: bigint, offset: number, size: number, link: number, entsize: number): void => {
    const pos = shoff + index * 64;
    u32(nameOffsets[index] ?? 0, pos);
    u32(type, pos + 4);
    u64(flags, pos + 8);
    u64(addr, pos + 16);
    u64(BigInt(offset), pos + 24);
    u64(BigInt(size), pos + 32);
    u32(link, pos + 40);
    u64(BigInt(entsize), pos + 56);
  };
  sections.forEach((s, i) => {
    s.data.copy(out, offsets[i] ?? 0);
    const type = s.type ?? 1;
    header(i + 1, type, type === 1 ? 3n : 0n, s.addr ?? 0n, offsets[i] ?? 0, s.data.length, s.link ?? 0, s.entsize ?? 0);
  });
  shstrtab.copy(out, strOffset);
  header(count - 1, 3, 0n, 0n, strOffset, shstrtab.length, 0, 0);
  return out;
}

/** An ELF executable holding one section's bytes (a Go `.go.buildinfo`, a Rust `.dep-v0`). */
export function elf64WithSection(name: string, data: Buffer, options: { bigEndian?: boolean; addr?: bigint } = {}): Buffer {
  return elf64([{ name, data, addr: options.addr ?? 0x401000n }], options);
}

/** Elf64_Sym entries (after the null symbol) and their string table. */
export function elf64Symbols(symbols: readonly { name: string; value: bigint; size: number; section: number }[]): { symtab: Buffer; strtab: Buffer } {
  let str = '\0';
  const symtab = Buffer.alloc(24 * (symbols.length + 1));
  symbols.forEach((sym, i) => {
    const at = 24 * (i + 1);
    symtab.writeUInt32LE(str.length, at);
    str += `${sym.name}\0`;
    symtab.writeUInt16LE(sym.section, at + 6);
    symtab.writeBigUInt64LE(sym.value, at + 8);
    symtab.writeBigUInt64LE(BigInt(sym.size), at + 16);
  });
  return { symtab, strtab: Buffer.from(str, 'latin1') };
}

/** A 64-bit little-endian Mach-O with one `__DATA` segment holding one section. */
export function macho64WithSection(sectionName: string, data: Buffer): Buffer {
  const headerSize = 32;
  const segSize = 72 + 80;
  const dataOffset = 0x200;
  const out = Buffer.alloc(dataOffset + data.length);
  out.writeUInt32LE(0xfeedfacf, 0);
  out.writeUInt32LE(0x01000007, 4);
  out.writeUInt32LE(2, 12);
  out.writeUInt32LE(1, 16);
  out.writeUInt32LE(segSize, 20);
  const seg = headerSize;
  out.writeUInt32LE(0x19, seg);
  out.writeUInt32LE(segSize, seg + 4);
  out.write('__DATA', seg + 8, 'latin1');
  out.writeBigUInt64LE(0x100000000n, seg + 24);
  out.writeBigUInt64LE(BigInt(data.length), seg + 32);
  out.writeBigUInt64LE(BigInt(dataOffset), seg + 40);
  out.writeBigUInt64LE(BigInt(data.length), seg + 48);
  out.writeUInt32LE(1, seg + 64);
  const sect = seg + 72;
  out.write(sectionName, sect, 'latin1');
  out.write('__DATA', sect + 16, 'latin1');
  out.writeBigUInt64LE(0x100000000n, sect + 32);
  out.writeBigUInt64LE(BigInt(data.length), sect + 40);
  out.writeUInt32LE(dataOffset, sect + 48);
  data.copy(out, dataOffset);
  return out;
}
