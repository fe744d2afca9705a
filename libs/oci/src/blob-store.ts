import { createReadStream, constants as fsConstants } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { BadInputError } from '@bulkhead/plugin-sdk';
import { joinWithinRoot, parentOf } from './paths';
import { indexTar, type TarMember } from './tar-index';

/**
 * Read-only access to the files of an image container: an OCI layout directory or the members of
 * a docker-archive tar. Paths are relative (`blobs/sha256/<hex>`, `manifest.json`); a path that
 * would leave the container is refused.
 */
export interface BlobStore {
  /** For error messages: `OCI layout /x` or `docker-archive /x.tar`. */
  readonly description: string;
  size(file: string): Promise<number | undefined>;
  /** Reads a whole (small) file; refuses files over `maxBytes`. */
  readAll(file: string, maxBytes: number): Promise<Buffer>;
  /** Reads the first bytes (fewer when the file is shorter). */
  peek(file: string, bytes: number): Promise<Buffer>;
  /** Streams the file without loading it whole. */
  open(file: string): Readable;
}

const STREAM_CHUNK = 1024 * 1024;

function safeRelative(store: string, file: string): string {
  const normal = file.startsWith('/') ? undefined : joinWithinRoot('', file);
  if (!normal) throw new BadInputError(`${store}: path ${JSON.stringify(file)} leaves the image container`);
  return normal;
}

export class DirectoryBlobStore implements BlobStore {
  readonly description: string;
  constructor(private readonly root: string) {
    this.description = `OCI layout ${root}`;
  }

  private full(file: string): string {
    return path.join(this.root, safeRelative(this.description, file));
  }

  async size(file: string): Promise<number | undefined> {
    try {
      const info = await stat(this.full(file));
      return info.isFile() ? info.size : undefined;
    } catch {
      return undefined;
    }
  }

  async readAll(file: string, maxBytes: number): Promise<Buffer> {
    const size = await this.size(file);
    if (size === undefined) throw new BadInputError(`${this.description}: ${file} is missing`);
    if (size > maxBytes) throw new BadInputError(`${this.description}: ${file} is ${size} bytes, over the ${maxBytes}-byte limit`);
    const handle = await open(this.full(file), fsConstants.O_RDONLY);
    try {
      return await handle.readFile();
    } finally {
      await handle.close();
    }
  }

  async peek(file: string, bytes: number): Promise<Buffer> {
    const handle = await open(this.full(file), fsConstants.O_RDONLY);
    try {
      const buffer = Buffer.alloc(bytes);
      const { bytesRead } = await handle.read(buffer, 0, bytes, 0);
      return buffer.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  }

  open(file: string): Readable {
    return createReadStream(this.full(file), { highWaterMark: STREAM_CHUNK });
  }
}

/**
 * The members of a docker-archive, found by indexing the tar's headers once (see indexTar) and
 * then read in place by byte range. Symlinked members (legacy `<id>/layer.tar -> ../<hex>.tar`)
 * are followed within the archive.
 */
export class TarBlobStore implements BlobStore {
  readonly description: string;
  private constructor(
    private readonly file: string,
    private readonly members: Map<string, TarMember>,
  ) {
    this.description = `docker-archive ${file}`;
  }

  static async open(file: string): Promise<TarBlobStore> {
    const members = new Map<string, TarMember>();
    for (const member of await indexTar(file)) members.set(member.name, member);
    return new TarBlobStore(file, members);
  }

  names(): string[] {
    return [...this.members.keys()];
  }

  private member(file: string): TarMember | undefined {
    let name = safeRelative(this.description, file);
    for (let hops = 0; hops < 40; hops++) {
      const member = this.members.get(name);
      if (!member || member.type === 'file') return member;
      if (member.type !== 'symlink' && member.type !== 'link') return undefined;
      const target =
        member.type === 'link' || member.linkName.startsWith('/')
          ? joinWithinRoot('', member.linkName)
          : joinWithinRoot(parentOf(name), member.linkName);
      if (target === undefined) {
        throw new BadInputError(`${this.description}: member ${name} links to ${JSON.stringify(member.linkName)}, outside the archive`);
      }
      name = target;
    }
    throw new BadInputError(`${this.description}: symlink loop at ${file}`);
  }

  async size(file: string): Promise<number | undefined> {
    return this.member(file)?.size;
  }

  private require(file: string): TarMember {
    const member = this.member(file);
    if (!member) throw new BadInputError(`${this.description}: ${file} is missing`);
    return member;
  }

  async readAll(file: string, maxBytes: number): Promise<Buffer> {
    const member = this.require(file);
    if (member.size > maxBytes) throw new BadInputError(`${this.description}: ${file} is ${member.size} bytes, over the ${maxBytes}-byte limit`);
    return this.readRange(member.offset, member.size);
  }

  async peek(file: string, bytes: number): Promise<Buffer> {
    const member = this.require(file);
    return this.readRange(member.offset, Math.min(bytes, member.size));
  }

  private async readRange(offset: number, length: number): Promise<Buffer> {
    const handle = await open(this.file, fsConstants.O_RDONLY);
    try {
      const buffer = Buffer.alloc(length);
      let done = 0;
      while (done < length) {
        const { bytesRead } = await handle.read(buffer, done, length - done, offset + done);
        if (bytesRead === 0) throw new BadInputError(`${this.description}: unexpected end of file at byte ${offset + done}`);
        done += bytesRead;
      }
      return buffer;
    } finally {
      await handle.close();
    }
  }

  open(file: string): Readable {
    const member = this.require(file);
    if (member.size === 0) return Readable.from([]);
    return createReadStream(this.file, { start: member.offset, end: member.offset + member.size - 1, highWaterMark: STREAM_CHUNK });
  }
}
