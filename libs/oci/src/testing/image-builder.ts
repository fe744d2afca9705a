/**
 * Builds small OCI layouts and docker-archives in a temp dir for tests, including deliberately
 * broken ones (wrong digests, truncated layers, hostile paths). Not used by production code.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import * as tar from 'tar-stream';

export interface EntrySpec {
  name: string;
  type?: 'file' | 'directory' | 'symlink' | 'link';
  content?: string | Buffer;
  linkname?: string;
  /** Permission bits; default 0o644 for files, 0o755 for directories, 0o777 otherwise. */
  mode?: number;
}

export type LayerCompression = 'gzip' | 'zstd' | 'none';

export function sha256(data: Buffer | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** Every entry's mtime, so that the same entries always give the same bytes and digests. */
const ENTRY_MTIME = new Date('2000-01-01T00:00:00Z');

export async function buildTar(entries: EntrySpec[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (chunk: unknown) => chunks.push(chunk as Buffer));
  const done = new Promise<void>((resolve, reject) => {
    pack.on('end', () => resolve());
    pack.on('error', reject);
  });
  for (const entry of entries) {
    const type = entry.type ?? 'file';
    const content = entry.content === undefined ? Buffer.alloc(0) : Buffer.from(entry.content);
    if (type === 'file') pack.entry({ name: entry.name, type, mode: entry.mode ?? 0o644, mtime: ENTRY_MTIME }, content);
    else pack.entry({ name: entry.name, type, linkname: entry.linkname, mode: entry.mode ?? (type === 'directory' ? 0o755 : 0o777), mtime: ENTRY_MTIME });
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

export function compress(data: Buffer, compression: LayerCompression): Buffer {
  if (compression === 'gzip') return gzipSync(data);
  // Node 20 has no zstd encoder; the zstd CLI is part of the build image.
  if (compression === 'zstd') return execFileSync('zstd', ['-q', '-c', '-3'], { input: data, maxBuffer: 1 << 30 });
  return data;
}

const LAYER_MEDIA_TYPE: Record<LayerCompression, string> = {
  gzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  zstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  none: 'application/vnd.oci.image.layer.v1.tar',
};

export interface LayerSpec {
  entries?: EntrySpec[];
  /** Raw tar bytes instead of entries. */
  tar?: Buffer;
  compression?: LayerCompression;
  /** Replace the stored blob after digests were computed from the real one. */
  mutateBlob?: (blob: Buffer) => Buffer;
  /** Digest written into the manifest instead of the blob's real digest. */
  claimedDigest?: string;
  /** diff_id written into the config instead of the real one. */
  claimedDiffId?: string;
  /** Do not write the blob at all. */
  omitBlob?: boolean;
  /** Media type written into the manifest instead of the one matching `compression`. */
  mediaType?: string;
}

export interface BuiltLayer {
  blob: Buffer;
  digest: string;
  diffId: string;
  mediaType: string;
}

export async function buildLayer(spec: LayerSpec): Promise<BuiltLayer> {
  const tarBytes = spec.tar ?? (await buildTar(spec.entries ?? []));
  const compression = spec.compression ?? 'gzip';
  const real = compress(tarBytes, compression);
  const blob = spec.mutateBlob ? spec.mutateBlob(real) : real;
  return { blob, digest: spec.claimedDigest ?? sha256(blob), diffId: spec.claimedDiffId ?? sha256(tarBytes), mediaType: spec.mediaType ?? LAYER_MEDIA_TYPE[compression] };
}

function writeBlob(dir: string, data: Buffer | string, digest = sha256(data)): string {
  const file = path.join(dir, 'blobs', 'sha256', digest.slice('sha256:'.length));
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, data);
  return digest;
}

export interface OciImageSpec {
  layers: LayerSpec[];
  ref?: string;
  architecture?: string;
}

/** Writes one image into an OCI layout (creating or extending index.json); returns its manifest digest. */
export async function writeOciLayout(dir: string, images: OciImageSpec[], options: { nestedIndex?: boolean } = {}): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  const descriptors: object[] = [];
  const digests: string[] = [];
  for (const image of images) {
    const layers = await Promise.all(image.layers.map(buildLayer));
    layers.forEach((layer, i) => {
      const spec = image.layers[i];
      if (!spec?.omitBlob) writeBlob(dir, layer.blob, spec?.claimedDigest ? layer.digest : undefined);
    });
    const config = JSON.stringify({
      architecture: image.architecture ?? 'amd64',
      os: 'linux',
      rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
    });
    const configDigest = writeBlob(dir, config);
    const manifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: config.length },
      layers: layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.blob.length })),
    });
    const manifestDigest = writeBlob(dir, manifest);
    digests.push(manifestDigest);
    descriptors.push({
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      digest: manifestDigest,
      size: manifest.length,
      platform: { os: 'linux', architecture: image.architecture ?? 'amd64' },
      ...(image.ref ? { annotations: { 'org.opencontainers.image.ref.name': image.ref } } : {}),
    });
  }
  let top = descriptors;
  if (options.nestedIndex) {
    const index = JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: descriptors });
    top = [{ mediaType: 'application/vnd.oci.image.index.v1+json', digest: writeBlob(dir, index), size: index.length, annotations: { 'org.opencontainers.image.ref.name': 'multi' } }];
  }
  writeFileSync(path.join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: top }));
  return digests;
}

/**
 * Writes a legacy docker-archive (manifest.json + `<id>/layer.tar` symlinked to the blob, as
 * `docker save` before 25 and skopeo write it) into `file`.
 */
export async function writeDockerArchive(file: string, layers: LayerSpec[], options: { ociInside?: boolean; tag?: string } = {}): Promise<void> {
  const built = await Promise.all(layers.map(buildLayer));
  const config = JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: built.map((l) => l.diffId) } });
  const configDigest = sha256(config);
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (chunk: unknown) => chunks.push(chunk as Buffer));
  const done = new Promise<void>((resolve) => pack.on('end', () => resolve()));
  const tags = [options.tag ?? 'test/built:1'];
  if (options.ociInside) {
    const layerPaths = built.map((l) => `blobs/sha256/${l.digest.slice(7)}`);
    for (const l of built) pack.entry({ name: `blobs/sha256/${l.digest.slice(7)}` }, l.blob);
    pack.entry({ name: `blobs/sha256/${configDigest.slice(7)}` }, config);
    const manifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: config.length },
      layers: built.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.blob.length })),
    });
    const manifestDigest = sha256(manifest);
    pack.entry({ name: `blobs/sha256/${manifestDigest.slice(7)}` }, manifest);
    pack.entry({ name: 'oci-layout' }, JSON.stringify({ imageLayoutVersion: '1.0.0' }));
    pack.entry(
      { name: 'index.json' },
      JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: manifestDigest, size: manifest.length, annotations: { 'org.opencontainers.image.ref.name': '1' } }] }),
    );
    pack.entry({ name: 'manifest.json' }, JSON.stringify([{ Config: `blobs/sha256/${configDigest.slice(7)}`, RepoTags: tags, Layers: layerPaths }]));
  } else {
    const layerPaths: string[] = [];
    built.forEach((l, i) => {
      const id = createHash('sha256').update(`layer${i}`).digest('hex');
      pack.entry({ name: `${l.diffId.slice(7)}.tar` }, l.blob);
      pack.entry({ name: `${id}/layer.tar`, type: 'symlink', linkname: `../${l.diffId.slice(7)}.tar` });
      layerPaths.push(`${id}/layer.tar`);
    });
    pack.entry({ name: `${configDigest.slice(7)}.json` }, config);
    pack.entry({ name: 'manifest.json' }, JSON.stringify([{ Config: `${configDigest.slice(7)}.json`, RepoTags: tags, Layers: layerPaths }]));
  }
  pack.finalize();
  await done;
  writeFileSync(file, Buffer.concat(chunks));
}
