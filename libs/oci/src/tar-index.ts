import { open, type FileHandle } from 'node:fs/promises';
import { BadInputError } from '@bulkhead/plugin-sdk';

/** One member of an outer tar (a docker-archive): where its body starts and how long it is. */
export interface TarMember {
  name: string;
  type: 'file' | 'directory' | 'symlink' | 'link' | 'other';
  offset: number;
  size: number;
  linkName: string;
}

const BLOCK = 512;

/**
 * Lists the members of a tar file by reading only its 512-byte headers and seeking over bodies,
 * so indexing a multi-gigabyte docker-archive reads a few kilobytes. tar-stream cannot do this:
 * it streams every body byte through. Handles ustar prefixes, PAX `path`/`linkpath`/`size`
 * records and GNU long names, which is what docker, podman and skopeo write.
 */
export async function indexTar(file: string): Promise<TarMember[]> {
  let handle: FileHandle;
  try {
    handle = await open(file, 'r');
  } catch (error) {
    throw new BadInputError(`docker-archive ${file}: cannot open: ${(error as Error).message}`, { cause: error });
  }
  try {
    const { size: fileSize } = await handle.stat();
    const members: TarMember[] = [];
    const header = Buffer.alloc(BLOCK);
    let offset = 0;
    let pending: { path?: string; linkpath?: string; size?: number } = {};
    while (offset + BLOCK <= fileSize) {
      await readExactly(handle, header, offset);
      if (header.every((b) => b === 0)) break;
      if (!checksumOk(header)) throw new BadInputError(`docker-archive ${file}: corrupt tar header at byte ${offset} (bad checksum); not a tar file?`);
      const typeFlag = String.fromCharCode(header.readUInt8(156));
      let size = pending.size ?? parseNumber(header, 124, 12);
      const bodyOffset = offset + BLOCK;
      if (bodyOffset + size > fileSize) throw new BadInputError(`docker-archive ${file}: truncated: member at byte ${offset} needs ${size} bytes past the end of the file`);
      if (typeFlag === 'x' || typeFlag === 'L' || typeFlag === 'K') {
        if (size > 1024 * 1024) throw new BadInputError(`docker-archive ${file}: extended header at byte ${offset} is implausibly large (${size} bytes)`);
        const body = Buffer.alloc(size);
        await readExactly(handle, body, bodyOffset);
        if (typeFlag === 'x') pending = { ...pending, ...parsePax(body) };
        else if (typeFlag === 'L') pending.path = cString(body, 0, size);
        else pending.linkpath = cString(body, 0, size);
        offset = bodyOffset + roundUp(size);
        continue;
      }
      if (typeFlag === 'g') {
        offset = bodyOffset + roundUp(size);
        continue;
      }
      const prefix = header.subarray(257, 262).toString('latin1') === 'ustar' ? cString(header, 345, 155) : '';
      const rawName = pending.path ?? (prefix ? `${prefix}/${cString(header, 0, 100)}` : cString(header, 0, 100));
      const linkName = pending.linkpath ?? cString(header, 157, 100);
      const type = memberType(typeFlag);
      if (type !== 'file') size = type === 'other' ? size : 0;
      members.push({ name: normaliseMemberName(rawName), type, offset: bodyOffset, size, linkName });
      pending = {};
      offset = bodyOffset + roundUp(type === 'file' || type === 'other' ? size : 0);
    }
    return members;
  } finally {
    await handle.close();
  }
}

function memberType(flag: string): TarMember['type'] {
  if (flag === '0' || flag === '\0' || flag === '7') return 'file';
  if (flag === '5') return 'directory';
  if (flag === '2') return 'symlink';
  if (flag === '1') return 'link';
  return 'other';
}

function normaliseMemberName(name: string): string {
  return name.replace(/^(\.\/)+/, '').replace(/\/+$/, '');
}

async function readExactly(handle: FileHandle, buffer: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < buffer.length) {
    const { bytesRead } = await handle.read(buffer, done, buffer.length - done, position + done);
    if (bytesRead === 0) throw new BadInputError(`unexpected end of tar file at byte ${position + done}`);
    done += bytesRead;
  }
}

function roundUp(size: number): number {
  return Math.ceil(size / BLOCK) * BLOCK;
}

function cString(buffer: Buffer, start: number, length: number): string {
  const end = buffer.indexOf(0, start);
  return buffer.toString('utf8', start, end < 0 || end > start + length ? start + length : end);
}

/** Octal, or GNU base-256 when the high bit of the first byte is set (sizes over 8 GiB). */
function parseNumber(buffer: Buffer, start: number, length: number): number {
  if (buffer.readUInt8(start) & 0x80) {
    let value = buffer.readUInt8(start) & 0x7f;
    for (let i = start + 1; i < start + length; i++) value = value * 256 + buffer.readUInt8(i);
    return value;
  }
  const text = cString(buffer, start, length).trim();
  return text ? parseInt(text, 8) : 0;
}

function checksumOk(header: Buffer): boolean {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : header.readUInt8(i);
  return sum === parseNumber(header, 148, 8);
}

function parsePax(body: Buffer): { path?: string; linkpath?: string; size?: number } {
  const out: { path?: string; linkpath?: string; size?: number } = {};
  let pos = 0;
  while (pos < body.length) {
    const space = body.indexOf(0x20, pos);
    if (space < 0) break;
    const length = parseInt(body.toString('latin1', pos, space), 10);
    if (!(length > 0)) break;
    const record = body.toString('utf8', space + 1, pos + length - 1);
    const eq = record.indexOf('=');
    const key = record.slice(0, eq);
    const value = record.slice(eq + 1);
    if (key === 'path') out.path = value;
    else if (key === 'linkpath') out.linkpath = value;
    else if (key === 'size') out.size = Number(value);
    pos += length;
  }
  return out;
}
