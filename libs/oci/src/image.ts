import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { BadInputError } from '@bulkhead/plugin-sdk';
import { DirectoryBlobStore, TarBlobStore, type BlobStore } from './blob-store';
import { detectCompression } from './decompress';
import { assertDigest, parseDigest, sha256Digest } from './digest';
import { resolveLimits, type ExtractionLimits } from './limits';
import { parseImageReference, type ImageSource } from './reference';
import { RegistryBlobStore } from './registry/blob-store';
import { RegistryClient, type RegistryClientOptions } from './registry/client';
import { formatPlatform, platformMatches, type Platform } from './registry/reference';
import { hashStream } from './stream-utils';
import { parseJsonObject } from './json';

export const MEDIA_TYPES = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
} as const;

const REF_NAME = 'org.opencontainers.image.ref.name';

/** One layer of an image, bottom (index 0) to top. */
export interface ImageLayer {
  index: number;
  /** Digest of the blob as stored (compressed for most registries; = diffId for docker save). */
  digest: string;
  /** Digest of the uncompressed tar, from the config's rootfs.diff_ids. */
  diffId?: string;
  /** Bytes as stored. */
  size: number;
  mediaType: string;
  /** Where the blob lives inside the store. */
  blobPath: string;
}

/** The parts of an image config Bulkhead reads; everything else stays in `raw`. */
export interface ImageConfig {
  architecture?: string;
  os?: string;
  diffIds: string[];
  raw: Record<string, unknown>;
}

export interface OpenedImage {
  kind: 'image';
  source: ImageSource;
  /**
   * The image's identity: its image id, the config digest (Docker's image id). It is the same
   * whatever form the image was read from: an OCI layout and a docker-archive of one image have
   * different manifests (or none) but one config.
   */
  digest: string;
  /** The digest of the image manifest read, where there is one (not in a legacy docker-archive). */
  manifestDigest?: string;
  /**
   * Every manifest digest the image is known by here: the image manifest's, then those of the
   * indexes it was reached through, innermost first (a multi-platform image is often referred
   * to, and reported by Kubernetes, by its index digest). Empty for a legacy docker-archive.
   */
  manifestDigests: string[];
  configDigest: string;
  config: ImageConfig;
  layers: ImageLayer[];
  /** Names the image is known by: the reference given, plus tags found in the archive. */
  references: string[];
  store: BlobStore;
  limits: ExtractionLimits;
}

export interface OpenedRootfs {
  kind: 'rootfs';
  source: ImageSource;
  root: string;
  references: string[];
  limits: ExtractionLimits;
}

export type OpenedArtifact = OpenedImage | OpenedRootfs;

export interface OpenImageOptions {
  limits?: Partial<ExtractionLimits>;
  signal?: AbortSignal;
  /** For registry references: the client to use, or the options to make one with. */
  registry?: RegistryClient | RegistryClientOptions;
  /** For registry references: the platform to pick from a multi-platform index (`--platform`). */
  platform?: Platform;
}

/**
 * Opens an image (or a root file system) by reference string and reads its metadata: index,
 * manifest and config are read whole (they are small, and limited) and digest-checked; layers
 * are only described here and streamed later by walkFinalFilesystem.
 */
export async function openImage(reference: string, options: OpenImageOptions = {}): Promise<OpenedArtifact> {
  const source = parseImageReference(reference);
  const limits = resolveLimits(options.limits);
  switch (source.kind) {
    case 'rootfs': {
      const root = path.resolve(source.dir);
      const info = await stat(root).catch(() => undefined);
      if (!info?.isDirectory()) throw new BadInputError(`${reference}: ${root} is not a directory`);
      return { kind: 'rootfs', source, root, references: [reference], limits };
    }
    case 'oci': {
      const dir = path.resolve(source.dir);
      const info = await stat(dir).catch(() => undefined);
      if (!info?.isDirectory()) throw new BadInputError(`${reference}: ${dir} is not a directory (an OCI image layout)`);
      const store = new DirectoryBlobStore(dir);
      if ((await store.size('index.json')) === undefined) throw new BadInputError(`${reference}: ${dir} has no index.json; not an OCI image layout`);
      return openFromIndex(source, store, limits, source.ref, [reference]);
    }
    case 'docker-archive': {
      const file = path.resolve(source.file);
      const info = await stat(file).catch(() => undefined);
      if (!info?.isFile()) throw new BadInputError(`${reference}: ${file} is not a file`);
      const store = await TarBlobStore.open(file);
      return openDockerArchive(source, store, limits, options.signal);
    }
    case 'registry':
      return openRegistryImage(source, limits, options);
  }
}

/**
 * An image in a registry: the manifest (through an index to the requested platform) is fetched
 * and digest-checked; config and layers are blobs of a RegistryBlobStore, streamed when read.
 */
async function openRegistryImage(source: Extract<ImageSource, { kind: 'registry' }>, limits: ExtractionLimits, options: OpenImageOptions): Promise<OpenedImage> {
  const client =
    options.registry instanceof RegistryClient ? options.registry : new RegistryClient({ ...(options.registry ?? {}), ...(options.signal ? { signal: options.signal } : {}) });
  const ref = source.image;
  const resolved = await client.resolveImage(ref, options.platform);
  const store = new RegistryBlobStore(client, ref);
  const manifest = parseJsonObject(resolved.bytes, `${store.description}: manifest ${resolved.digest}`);
  const what = `${store.description}: manifest ${resolved.digest}`;
  if (!manifest['config']) throw new BadInputError(`${what}: not an image manifest (media type ${resolved.mediaType}; it has no config)`);
  for (const [field, list] of [['config', [manifest['config']]], ['layers', manifest['layers']]] as const) {
    if (!Array.isArray(list)) throw new BadInputError(`${what}: ${field} is not a list of descriptors`);
    for (const [i, d] of (list as unknown[]).entries()) {
      const descriptor = d as Descriptor | undefined;
      if (!descriptor || typeof descriptor !== 'object') throw new BadInputError(`${what}: ${field}[${i}] is not a descriptor`);
      parseDigest(descriptor.digest, `${what}: ${field}[${i}].digest`);
      if (typeof descriptor.size !== 'number' || !Number.isSafeInteger(descriptor.size) || descriptor.size < 0) throw new BadInputError(`${what}: ${field}[${i}] has no valid size`);
      store.register(descriptor.digest, descriptor.size);
    }
  }
  const image = await openManifest(source, store, limits, resolved.digest, manifest, [source.reference], resolved.indexDigests);
  const actual = { os: image.config.os, architecture: image.config.architecture, variant: typeof image.config.raw['variant'] === 'string' ? image.config.raw['variant'] : undefined };
  if (options.platform && actual.os && actual.architecture && !platformMatches(options.platform, actual)) {
    throw new BadInputError(`${source.reference}: the image is ${formatPlatform(actual)}, not the requested ${formatPlatform(options.platform)}`);
  }
  return image;
}

interface Descriptor {
  mediaType?: string;
  digest: string;
  size?: number;
  annotations?: Record<string, string>;
  platform?: { os?: string; architecture?: string; variant?: string };
}

function blobPath(digest: string, what: string): string {
  const { algorithm, hex } = parseDigest(digest, what);
  return `blobs/${algorithm}/${hex}`;
}

async function readVerifiedJson(store: BlobStore, descriptor: Descriptor, what: string, limits: ExtractionLimits): Promise<{ json: Record<string, unknown>; bytes: Buffer }> {
  const file = blobPath(descriptor.digest, what);
  if ((await store.size(file)) === undefined) throw new BadInputError(`${store.description}: ${what} names blob ${descriptor.digest}, which is missing`);
  const bytes = await store.readAll(file, limits.maxJsonBytes);
  assertDigest(`${store.description}: ${what} ${file}`, descriptor.digest, `${parseDigest(descriptor.digest, what).algorithm}:${hashHex(bytes, descriptor.digest)}`);
  return { json: parseJsonObject(bytes, `${store.description}: ${what} ${descriptor.digest}`), bytes };
}

function hashHex(bytes: Buffer, digest: string): string {
  return createHash(parseDigest(digest, 'digest').algorithm).update(bytes).digest('hex');
}


function descriptors(value: unknown, what: string): Descriptor[] {
  if (!Array.isArray(value)) throw new BadInputError(`${what}: expected an array of descriptors`);
  return value.map((d, i) => {
    if (!d || typeof d !== 'object' || typeof (d as Descriptor).digest !== 'string') throw new BadInputError(`${what}[${i}]: descriptor without a digest`);
    parseDigest((d as Descriptor).digest, `${what}[${i}].digest`);
    return d as Descriptor;
  });
}

function isIndex(descriptor: Descriptor): boolean {
  return descriptor.mediaType === MEDIA_TYPES.ociIndex || descriptor.mediaType === MEDIA_TYPES.dockerList;
}

function describeRefs(manifests: Descriptor[]): string {
  const refs = manifests.map((m) => m.annotations?.[REF_NAME]).filter((r): r is string => !!r);
  return refs.length ? refs.join(', ') : '(none: no manifest has an org.opencontainers.image.ref.name annotation)';
}

async function openFromIndex(
  source: ImageSource,
  store: BlobStore,
  limits: ExtractionLimits,
  ref: string | undefined,
  references: string[],
): Promise<OpenedImage> {
  const index = parseJsonObject(await store.readAll('index.json', limits.maxJsonBytes), `${store.description}: index.json`);
  const manifests = descriptors(index['manifests'], `${store.description}: index.json manifests`);
  let chosen: Descriptor | undefined;
  if (ref !== undefined) {
    chosen = manifests.find((m) => m.annotations?.[REF_NAME] === ref);
    if (!chosen) throw new BadInputError(`${store.description}: no manifest with ref "${ref}"; available refs: ${describeRefs(manifests)}`);
  } else if (manifests.length === 1) {
    chosen = manifests[0];
  }
  if (manifests.length === 0) throw new BadInputError(`${store.description}: index.json lists no manifests`);
  if (!chosen) {
    throw new BadInputError(
      `${store.description}: index.json lists ${manifests.length} manifests; name one with ${source.kind === 'oci' ? 'oci:<dir>:<ref>' : 'a single-image archive'} (available refs: ${describeRefs(manifests)})`,
    );
  }
  const indexDigests: string[] = [];
  for (let depth = 0; ; depth++) {
    if (depth > 4) throw new BadInputError(`${store.description}: image indexes nested more than 4 deep`);
    const { json } = await readVerifiedJson(store, chosen, depth === 0 ? 'index.json entry' : 'nested index entry', limits);
    const mediaType = chosen.mediaType ?? (typeof json['mediaType'] === 'string' ? json['mediaType'] : undefined);
    if (isIndex({ ...chosen, mediaType }) || (!mediaType && Array.isArray(json['manifests']))) {
      indexDigests.unshift(chosen.digest);
      chosen = pickPlatform(descriptors(json['manifests'], `${store.description}: index ${chosen.digest} manifests`), store, chosen.digest);
      continue;
    }
    return openManifest(source, store, limits, chosen.digest, json, references, indexDigests);
  }
}

function pickPlatform(manifests: Descriptor[], store: BlobStore, indexDigest: string): Descriptor {
  // Attestation manifests (buildx) carry platform unknown/unknown; they are not images.
  const images = manifests.filter((m) => m.platform?.os !== 'unknown');
  const amd64 = images.find((m) => m.platform?.os === 'linux' && m.platform.architecture === 'amd64');
  if (amd64) return amd64;
  if (images.length === 1 && images[0]) return images[0];
  const platforms = images.map((m) => `${m.platform?.os ?? '?'}/${m.platform?.architecture ?? '?'}${m.platform?.variant ? `/${m.platform.variant}` : ''}`);
  throw new BadInputError(`${store.description}: index ${indexDigest} has no linux/amd64 image and more than one platform (${platforms.join(', ') || 'none'})`);
}

async function openManifest(
  source: ImageSource,
  store: BlobStore,
  limits: ExtractionLimits,
  manifestDigest: string,
  manifest: Record<string, unknown>,
  references: string[],
  indexDigests: readonly string[],
): Promise<OpenedImage> {
  const what = `${store.description}: manifest ${manifestDigest}`;
  const configDescriptor = manifest['config'] as Descriptor | undefined;
  if (!configDescriptor || typeof configDescriptor.digest !== 'string') throw new BadInputError(`${what}: has no config descriptor`);
  const { json: configJson } = await readVerifiedJson(store, configDescriptor, `manifest ${manifestDigest} config`, limits);
  const config = readConfig(configJson, `${store.description}: config ${configDescriptor.digest}`);
  const layerDescriptors = descriptors(manifest['layers'], `${what} layers`);
  if (config.diffIds.length && config.diffIds.length !== layerDescriptors.length) {
    throw new BadInputError(`${what}: lists ${layerDescriptors.length} layers but the config lists ${config.diffIds.length} diff_ids`);
  }
  const layers: ImageLayer[] = [];
  for (const [index, d] of layerDescriptors.entries()) {
    const file = blobPath(d.digest, `${what} layers[${index}]`);
    const size = await store.size(file);
    if (size === undefined) throw new BadInputError(`${what}: layer ${index} names blob ${d.digest}, which is missing`);
    layers.push({ index, digest: d.digest, diffId: config.diffIds[index], size, mediaType: d.mediaType ?? 'application/vnd.oci.image.layer.v1.tar', blobPath: file });
  }
  const configDigest = configDescriptor.digest;
  const manifestDigests = [manifestDigest, ...indexDigests];
  return { kind: 'image', source, digest: configDigest, manifestDigest, manifestDigests, configDigest, config, layers, references, store, limits };
}

function readConfig(json: Record<string, unknown>, what: string): ImageConfig {
  const rootfs = json['rootfs'] as { diff_ids?: unknown } | undefined;
  const diffIds = rootfs?.diff_ids === undefined ? [] : rootfs.diff_ids;
  if (!Array.isArray(diffIds)) throw new BadInputError(`${what}: rootfs.diff_ids is not an array`);
  diffIds.forEach((d, i) => parseDigest(d, `${what}: rootfs.diff_ids[${i}]`));
  return {
    architecture: typeof json['architecture'] === 'string' ? json['architecture'] : undefined,
    os: typeof json['os'] === 'string' ? json['os'] : undefined,
    diffIds: diffIds as string[],
    raw: json,
  };
}

interface DockerManifestEntry {
  Config?: unknown;
  RepoTags?: unknown;
  Layers?: unknown;
}

/**
 * docker save output. Docker 25+ writes an OCI layout inside the tar (index.json + blobs/) next
 * to the legacy manifest.json: then the OCI index is used, so the image keeps its manifest
 * digest. Older archives (and skopeo's docker-archive) have only manifest.json, config and layer
 * tars.
 */
async function openDockerArchive(source: ImageSource, store: TarBlobStore, limits: ExtractionLimits, signal: AbortSignal | undefined): Promise<OpenedImage> {
  const reference = source.reference;
  const entries = (await store.size('manifest.json')) !== undefined ? parseDockerManifest(await store.readAll('manifest.json', limits.maxJsonBytes), store) : undefined;
  const tags = entries?.flatMap((e) => (Array.isArray(e.RepoTags) ? e.RepoTags.filter((t): t is string => typeof t === 'string') : [])) ?? [];
  if ((await store.size('index.json')) !== undefined && (await store.size('oci-layout')) !== undefined) {
    return openFromIndex(source, store, limits, undefined, [reference, ...tags]);
  }
  if (!entries) throw new BadInputError(`${store.description}: neither manifest.json nor an OCI index.json found; not a docker-archive (members: ${store.names().slice(0, 10).join(', ')})`);
  const entry = entries[0];
  if (entries.length !== 1 || !entry) throw new BadInputError(`${store.description}: manifest.json describes ${entries.length} images; only single-image archives are supported`);
  if (typeof entry.Config !== 'string') throw new BadInputError(`${store.description}: manifest.json[0].Config is missing`);
  if (!Array.isArray(entry.Layers) || entry.Layers.some((l) => typeof l !== 'string')) throw new BadInputError(`${store.description}: manifest.json[0].Layers must be a list of paths`);
  if ((await store.size(entry.Config)) === undefined) throw new BadInputError(`${store.description}: manifest.json names config ${entry.Config}, which is missing`);
  const configBytes = await store.readAll(entry.Config, limits.maxJsonBytes);
  const configDigest = sha256Digest(configBytes);
  const named = digestInName(entry.Config);
  if (named) assertDigest(`${store.description}: config ${entry.Config}`, named, configDigest);
  const config = readConfig(parseJsonObject(configBytes, `${store.description}: config ${entry.Config}`), `${store.description}: config ${entry.Config}`);
  const layerPaths = entry.Layers as string[];
  if (config.diffIds.length !== layerPaths.length) {
    throw new BadInputError(`${store.description}: manifest.json lists ${layerPaths.length} layers but the config lists ${config.diffIds.length} diff_ids`);
  }
  const layers: ImageLayer[] = [];
  for (const [index, file] of layerPaths.entries()) {
    const size = await store.size(file);
    if (size === undefined) throw new BadInputError(`${store.description}: manifest.json layer ${index} names ${file}, which is missing`);
    const compression = detectCompression(await store.peek(file, 4));
    // The blob digest is needed before streaming (analysers report it per file). A layer named
    // by digest, or stored uncompressed (then blob digest = diff_id, verified while streaming),
    // has it for free; a compressed layer with a legacy name costs one extra hashing pass.
    const diffId = config.diffIds[index];
    const digest = digestInName(file) ?? (compression === 'none' && diffId ? diffId : await hashStream(store.open(file), signal));
    layers.push({ index, digest, diffId, size, mediaType: mediaTypeFor(compression), blobPath: file });
  }
  return { kind: 'image', source, digest: configDigest, manifestDigests: [], configDigest, config, layers, references: [reference, ...tags], store, limits };
}

function parseDockerManifest(bytes: Buffer, store: BlobStore): DockerManifestEntry[] {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw new BadInputError(`${store.description}: manifest.json: invalid JSON: ${(error as Error).message}`);
  }
  if (!Array.isArray(value)) throw new BadInputError(`${store.description}: manifest.json: expected an array`);
  return value as DockerManifestEntry[];
}

/** `blobs/sha256/<hex>` or `<hex>.json` / `<hex>.tar` → `sha256:<hex>`. */
function digestInName(file: string): string | undefined {
  const blob = /(?:^|\/)blobs\/(sha256|sha512)\/([a-f0-9]{64,128})$/.exec(file);
  if (blob) return `${blob[1]}:${blob[2]}`;
  const hexName = /^([a-f0-9]{64})\.(?:json|tar)$/.exec(file);
  return hexName && file.endsWith('.json') ? `sha256:${hexName[1]}` : undefined;
}

function mediaTypeFor(compression: 'gzip' | 'zstd' | 'none'): string {
  if (compression === 'gzip') return 'application/vnd.oci.image.layer.v1.tar+gzip';
  if (compression === 'zstd') return 'application/vnd.oci.image.layer.v1.tar+zstd';
  return 'application/vnd.oci.image.layer.v1.tar';
}
