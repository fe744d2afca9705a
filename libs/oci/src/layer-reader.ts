import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar-stream';
import { BadInputError } from '@bulkhead/plugin-sdk';
import { compressionOfMediaType, createDecompressor, detectCompression, type Compression } from './decompress';
import { parseDigest } from './digest';
import type { ImageLayer, OpenedImage } from './image';
import type { ExtractionLimits } from './limits';

/** A tar entry header as tar-stream parses it (PAX and GNU long names already applied). */
export type LayerEntryHeader = tar.Header;

/**
 * Decides per entry whether its body is needed. `entry` runs for every entry in order and may
 * throw (a BadInputError stops the layer); `body` receives the bodies `entry` asked for.
 */
export interface LayerEntryVisitor {
  entry(header: LayerEntryHeader): boolean;
  body(header: LayerEntryHeader, content: Buffer): void;
  /**
   * Optional: sees the first chunk of a wanted body; returning false drops the body (it is not
   * collected and `body` is not called), e.g. a binary a text-only consumer has no use for.
   */
  head?(header: LayerEntryHeader, chunk: Buffer): boolean;
}

/** Uncompressed bytes produced so far over all layers of one image (shared across layers). */
export interface UncompressedBudget {
  used: number;
}

export interface ReadLayerOptions {
  limits: ExtractionLimits;
  budget: UncompressedBudget;
  signal?: AbortSignal;
  /** Told about oddities that do not stop the layer (a media type the bytes contradict). */
  onWarning?: (message: string) => void;
}

/** Human name of a layer for error messages: `layer 2 (sha256:...)`. */
export function layerName(layer: ImageLayer): string {
  return `layer ${layer.index} (${layer.digest})`;
}

/**
 * Streams one layer: blob → sha256 of the blob → decompressor (by magic bytes) → sha256 of the
 * uncompressed tar (diff_id) and expansion limits → tar parser. Nothing is buffered but the
 * bodies the visitor asks for. Digests are checked when the stream ends: a mismatch throws a
 * BadInputError naming both digests.
 */
export async function readLayer(image: OpenedImage, layer: ImageLayer, visitor: LayerEntryVisitor, options: ReadLayerOptions): Promise<void> {
  const { limits, budget, signal } = options;
  signal?.throwIfAborted();
  const name = layerName(layer);
  const compression = detectCompression(await image.store.peek(layer.blobPath, 4));
  // The bytes decide, as containerd does: docker-archives label nothing and some registries
  // mislabel; a contradiction is worth a warning, not a failure (digests still protect content).
  const claimed = compressionOfMediaType(layer.mediaType);
  if (claimed && claimed !== compression) {
    options.onWarning?.(`${name}: media type ${layer.mediaType} says ${claimed} but the content is ${compression === 'none' ? 'uncompressed' : compression}; read as such`);
  }
  const blobDigest = parseDigest(layer.digest, `${name} digest`);
  const blobHash = createHash(blobDigest.algorithm);
  // An uncompressed blob is its own diff_id: one hash serves both checks.
  const diffHash = compression !== 'none' && layer.diffId ? createHash(parseDigest(layer.diffId, `${name} diff_id`).algorithm) : undefined;
  const counters = { compressed: 0, uncompressed: 0 };

  const compressedTap = new ByteTap((chunk) => {
    if (signal?.aborted) return signal.reason instanceof Error ? signal.reason : new Error('aborted');
    blobHash.update(chunk);
    counters.compressed += chunk.length;
    return compression === 'none' ? countUncompressed(chunk.length) : undefined;
  });
  const countUncompressed = (bytes: number): Error | undefined => {
    counters.uncompressed += bytes;
    budget.used += bytes;
    if (budget.used > limits.maxTotalUncompressedBytes) {
      return new BadInputError(`${name}: image expands past the ${limits.maxTotalUncompressedBytes}-byte limit on total uncompressed size`);
    }
    if (counters.uncompressed > limits.expansionFloorBytes && counters.uncompressed > limits.maxExpansionRatio * Math.max(counters.compressed, 1)) {
      return new BadInputError(
        `${name}: decompression bomb: ${counters.compressed} compressed bytes expanded to ${counters.uncompressed} (over ${limits.maxExpansionRatio}:1)`,
      );
    }
    return undefined;
  };
  const uncompressedTap =
    compression === 'none'
      ? undefined
      : new ByteTap((chunk) => {
          diffHash?.update(chunk);
          return countUncompressed(chunk.length);
        });
  const decompressor = createDecompressor(compression);
  const extract = tar.extract();
  extract.on('entry', (header, stream, next) => {
    // The pipeline reports the failure; an entry stream destroyed with it must not also throw.
    stream.on('error', () => undefined);
    let wanted: boolean;
    try {
      wanted = visitor.entry(header);
    } catch (error) {
      stream.resume();
      extract.destroy(error as Error);
      return;
    }
    if (!wanted) {
      stream.on('end', next);
      stream.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let dropped = false;
    stream.on('data', (chunk: unknown) => {
      if (dropped) return;
      if (chunks.length === 0 && visitor.head && !visitor.head(header, chunk as Buffer)) {
        dropped = true;
        return;
      }
      chunks.push(chunk as Buffer);
    });
    stream.on('end', () => {
      try {
        if (!dropped) visitor.body(header, chunks.length === 1 && chunks[0] ? chunks[0] : Buffer.concat(chunks));
        next();
      } catch (error) {
        extract.destroy(error as Error);
      }
    });
  });

  // The stream that fails first names the failure; pipeline then destroys the others with it.
  let failedStage: Stage | undefined;
  const source = image.store.open(layer.blobPath);
  source.once('error', () => (failedStage ??= 'read'));
  decompressor?.once('error', () => (failedStage ??= 'decompress'));
  extract.once('error', () => (failedStage ??= 'tar'));
  const stages = [source, compressedTap, ...(decompressor && uncompressedTap ? [decompressor, uncompressedTap] : [])];
  try {
    await pipeline([...stages, extract as unknown as NodeJS.WritableStream]);
  } catch (error) {
    throw translateError(error, name, compression, failedStage, signal);
  }
  const actualBlob = `${blobDigest.algorithm}:${blobHash.digest('hex')}`;
  if (actualBlob !== layer.digest) throw new BadInputError(`${name}: digest mismatch: expected ${layer.digest}, actual ${actualBlob}`);
  if (layer.diffId) {
    const actualDiff = diffHash ? `${parseDigest(layer.diffId, name).algorithm}:${(diffHash as Hash).digest('hex')}` : actualBlob;
    if (actualDiff !== layer.diffId) throw new BadInputError(`${name}: uncompressed content (diff_id) mismatch: expected ${layer.diffId}, actual ${actualDiff}`);
  }
}

type Stage = 'read' | 'decompress' | 'tar';

/**
 * Turns a stream failure into a message naming the layer and what broke. Corrupt compressed
 * data and corrupt tar structure are input problems (BadInputError); a failure to read the blob
 * file itself (EIO, a file removed under us) is not, and keeps its own type.
 */
function translateError(error: unknown, name: string, compression: Compression, stage: Stage | undefined, signal: AbortSignal | undefined): unknown {
  if (signal?.aborted) return signal.reason ?? error;
  if (error instanceof BadInputError) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (stage === 'decompress') return new BadInputError(`${name}: truncated or corrupt ${compression} data (${message})`, { cause: error });
  if (stage === 'tar') return new BadInputError(`${name}: corrupt or truncated tar stream (${message})`, { cause: error });
  return new Error(`${name}: reading the layer failed: ${message}`, { cause: error });
}

/** A pass-through that inspects each chunk; returning an Error stops the stream with it. */
class ByteTap extends Transform {
  constructor(private readonly inspect: (chunk: Buffer) => Error | undefined) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    const error = this.inspect(chunk);
    if (error) callback(error);
    else callback(null, chunk);
  }
}
