import { Transform, type TransformCallback } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { Decompress } from 'fzstd';

export type Compression = 'gzip' | 'zstd' | 'none';

/** Detects the compression of a layer from its first bytes (media types lie in the wild). */
export function detectCompression(head: Buffer): Compression {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4 && head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) return 'zstd';
  return 'none';
}

/** What the media type claims, for a warning when it disagrees with the bytes. */
export function compressionOfMediaType(mediaType: string): Compression | undefined {
  if (/[+.]gzip$|\.tar\.gzip$/.test(mediaType)) return 'gzip';
  if (/[+.]zstd$/.test(mediaType)) return 'zstd';
  if (/\.tar$|rootfs\.diff\.tar$/.test(mediaType)) return 'none';
  return undefined;
}

/**
 * Streaming zstd decoder. Node 20's zlib has no zstd (it arrived in 22.15), so this wraps fzstd's
 * streaming `Decompress`; a truncated stream is reported when the input ends mid-frame.
 */
export class ZstdDecompressStream extends Transform {
  private readonly decoder: Decompress;
  private sawInput = false;

  constructor() {
    super();
    this.decoder = new Decompress((chunk) => {
      // fzstd may reuse its window buffer: copy before handing the bytes downstream.
      this.push(Buffer.from(chunk));
    });
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      this.sawInput = true;
      this.decoder.push(chunk);
      callback();
    } catch (error) {
      callback(asError(error));
    }
  }

  override _flush(callback: TransformCallback): void {
    try {
      if (!this.sawInput) throw new Error('empty zstd stream');
      this.decoder.push(new Uint8Array(0), true);
      callback();
    } catch (error) {
      callback(asError(error));
    }
  }
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

export function createDecompressor(compression: Compression): Transform | undefined {
  if (compression === 'gzip') return createGunzip({ chunkSize: 256 * 1024 });
  if (compression === 'zstd') return new ZstdDecompressStream();
  return undefined;
}
