/**
 * Builds minimal executables around a section's bytes, for tests: the binary fixtures Trivy
 * tests with are compiled programs and were not copied, only their extracted sections.
 */
export function elf64WithSection(name: string, data: Buffer, options: { bigEndian?: boolean; addr?: bigint } = {}): Buffer {
  const le = !options.bigEndian;
  const addr = options.addr ?? 0x401000n;
  const shstrtab = Buffer.from(`\0${name}\0.shstrtab\0`, 'latin1');
  const dataOffset = 0x100;
  const strOffset = dataOffset + data.length;
  const shoff = Math.ceil((strOffset + shstrtab.length) / 8) * 8;
  const out = Buffer.alloc(shoff + 3 * 64);
  const u16 = (v: number, at: number): number => (le ? out.writeUInt16LE(v, at) : out.writeUInt16BE(v, at));
  const u32 = (v: number, at: number): number => (le ? out.writeUInt32LE(v, at) : out.writeUInt32BE(v, at));
  const u64 = (v: bigint, at: number): number => (le ? out.writeBigUInt64LE(v, at) : out.writeBigUInt64BE(v, at));
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
  u16(3, 0x3c);
  u16(2, 0x3e);
  data.copy(out, dataOffset);
  shstrtab.copy(out, strOffset);
  const section = (index: number, nameOffset: number, type: number, flags: bigint, sAddr: bigint, offset: number, size: number): void => {
    const at = shoff + index * 64;
    u32(nameOffset, at);
    u32(type, at + 4);
    u64(flags, at + 8);
    u64(sAddr, at + 16);
    u64(BigInt(offset), at + 24);
    u64(BigInt(size), at + 32);
  };
  section(1, 1, 1, 3n, addr, dataOffset, data.length); // PROGBITS, WRITE|ALLOC
  section(2, 2 + name.length, 3, 0n, 0n, strOffset, shstrtab.length); // STRTAB
  return out;
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
