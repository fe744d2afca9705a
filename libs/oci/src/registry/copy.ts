import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { BadInputError } from '@bulkhead/plugin-sdk';
import { DirectoryBlobStore, TarBlobStore, type BlobStore } from '../blob-store';
import { parseDigest, sha256Digest } from '../digest';
import { openImage, type OpenedImage } from '../image';
import { DEFAULT_LIMITS } from '../limits';
import { parseImageReference } from '../reference';
import { isIndexMediaType, pickPlatform, readDescriptors, REGISTRY_MEDIA_TYPES, type Descriptor, type RegistryClient } from './client';
import type { Platform, RegistryReference } from './reference';
import { parseJsonObject } from '../json';

const REF_NAME = 'org.opencontainers.image.ref.name';
const MAX_JSON = DEFAULT_LIMITS.maxJsonBytes;
const MAX_INDEX_DEPTH = 4;
const PARALLEL_BLOBS = 3;

export interface CopyProgress {
  (event: { kind: 'blob' | 'manifest'; digest: string; size: number; skipped?: boolean }): void;
}

export interface PushResult {
  /** Digest of what the tag (or digest) now names: a manifest or an index. */
  digest: string;
  mediaType: string;
  size: number;
  blobs: number;
}

function blobPath(digest: string): string {
  const { algorithm, hex } = parseDigest(digest, 'blob digest');
  return `blobs/${algorithm}/${hex}`;
}


/**
 * Runs `work` over `items`, at most `limit` at a time. After a failure no new item starts, and
 * the first error is thrown only once the running ones have settled (a pull then removes its
 * staging folder with nothing still writing into it).
 */
async function inParallel<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length && !failure) {
      const item = items[next++] as T;
      try {
        await work(item);
      } catch (error) {
        failure ??= { error };
      }
    }
  });
  await Promise.all(workers);
  if (failure) throw failure.error;
}

/**
 * Pushes an image from `oci:<dir>[:<ref>]` or `docker-archive:<file>` to `target` (a tag or a
 * digest). From an OCI layout (or a docker-archive holding one, Docker 25+) the manifest and
 * index bytes go as they are, so digests stay the same; an index is pushed with every manifest
 * it lists. A legacy docker-archive has no manifest: one is made (OCI media types; the layers as
 * stored, config bytes unchanged, so the image id stays the same).
 */
export async function pushImage(client: RegistryClient, source: string, target: RegistryReference, options: { onProgress?: CopyProgress; chunkSize?: number } = {}): Promise<PushResult> {
  const parsed = parseImageReference(source);
  const reference = target.digest ?? target.tag ?? 'latest';
  const counter = { blobs: 0 };
  const pushBlob = async (store: BlobStore, d: Descriptor): Promise<void> => {
    const file = blobPath(d.digest);
    const size = await store.size(file);
    if (size === undefined) throw new BadInputError(`${store.description}: blob ${d.digest} is missing`);
    if (size !== d.size) throw new BadInputError(`${store.description}: blob ${d.digest} is ${size} bytes, its descriptor says ${d.size}`);
    await client.pushBlob(target, () => store.open(file), d.digest, size, options.chunkSize ? { chunkSize: options.chunkSize } : {});
    counter.blobs++;
    options.onProgress?.({ kind: 'blob', digest: d.digest, size });
  };

  /** Pushes the manifest or index `d` (and all it needs) by digest, or under `tag` when given. */
  const pushTree = async (store: BlobStore, d: Descriptor, tag: string | undefined, depth: number): Promise<PushResult> => {
    if (depth > MAX_INDEX_DEPTH) throw new BadInputError(`${store.description}: image indexes nested more than ${MAX_INDEX_DEPTH} deep`);
    const bytes = await store.readAll(blobPath(d.digest), MAX_JSON);
    const actual = sha256Digest(bytes);
    if (d.digest.startsWith('sha256:') && actual !== d.digest) throw new BadInputError(`${store.description}: manifest ${d.digest}: digest mismatch: actual ${actual}`);
    const json = parseJsonObject(bytes, `${store.description}: manifest ${d.digest}`);
    const mediaType = typeof json['mediaType'] === 'string' ? json['mediaType'] : d.mediaType;
    if (isIndexMediaType(mediaType) || (!json['config'] && Array.isArray(json['manifests']))) {
      for (const child of readDescriptors(json['manifests'], `${store.description}: index ${d.digest} manifests`)) await pushTree(store, child, undefined, depth + 1);
    } else {
      const config = readDescriptors([json['config']], `${store.description}: manifest ${d.digest} config`);
      const layers = readDescriptors(json['layers'], `${store.description}: manifest ${d.digest} layers`);
      // Foreign (non-distributable) layers are not ours to upload: their URLs stand in for them.
      const uploadable = [...config, ...layers].filter((l) => !/nondistributable|foreign/.test(l.mediaType) || !(l as { urls?: unknown }).urls);
      await inParallel(uploadable, PARALLEL_BLOBS, (blob) => pushBlob(store, blob));
    }
    const digest = await client.putManifest(target, tag ?? d.digest, bytes, mediaType);
    options.onProgress?.({ kind: 'manifest', digest, size: bytes.length });
    return { digest, mediaType, size: bytes.length, blobs: counter.blobs };
  };

  switch (parsed.kind) {
    case 'oci':
    case 'docker-archive': {
      const store = parsed.kind === 'oci' ? new DirectoryBlobStore(path.resolve(parsed.dir)) : await TarBlobStore.open(path.resolve(parsed.file));
      if ((await store.size('index.json')) !== undefined) {
        const entry = chooseIndexEntry(store, parseJsonObject(await store.readAll('index.json', MAX_JSON), `${store.description}: index.json`), parsed.kind === 'oci' ? parsed.ref : undefined);
        return pushTree(store, entry, reference, 0);
      }
      if (parsed.kind === 'oci') throw new BadInputError(`${source}: ${parsed.dir} has no index.json; not an OCI image layout`);
      return pushLegacyArchive(client, source, target, reference, store as TarBlobStore, pushBlob, options.onProgress);
    }
    default:
      throw new BadInputError(`push: the source must be oci:<dir>[:<ref>] or docker-archive:<file>, not ${JSON.stringify(source)}`);
  }
}

function chooseIndexEntry(store: BlobStore, index: Record<string, unknown>, ref: string | undefined): Descriptor {
  const manifests = readDescriptors(index['manifests'], `${store.description}: index.json manifests`);
  if (ref !== undefined) {
    const match = manifests.find((m) => m.annotations?.[REF_NAME] === ref);
    if (!match) throw new BadInputError(`${store.description}: no manifest with ref "${ref}"`);
    return match;
  }
  if (manifests.length === 1 && manifests[0]) return manifests[0];
  throw new BadInputError(`${store.description}: index.json lists ${manifests.length} manifests; name one with oci:<dir>:<ref>`);
}

async function pushLegacyArchive(
  client: RegistryClient,
  source: string,
  target: RegistryReference,
  reference: string,
  store: TarBlobStore,
  pushBlob: (store: BlobStore, d: Descriptor) => Promise<void>,
  onProgress: CopyProgress | undefined,
): Promise<PushResult> {
  const image = (await openImage(source)) as OpenedImage;
  const entries = parseJsonArray(await store.readAll('manifest.json', MAX_JSON), `${store.description}: manifest.json`);
  const configPath = (entries[0] as { Config?: unknown } | undefined)?.Config;
  if (typeof configPath !== 'string') throw new BadInputError(`${store.description}: manifest.json[0].Config is missing`);
  const configBytes = await store.readAll(configPath, MAX_JSON);
  // The store knows the layers by their archive paths: give pushBlob a view by digest.
  const byDigest = new Map<string, string>([[image.configDigest, configPath], ...image.layers.map((l) => [l.digest, l.blobPath] as [string, string])]);
  const view: BlobStore = {
    description: store.description,
    size: (file) => store.size(byDigest.get(digestOfPath(file)) ?? file),
    readAll: (file, max) => store.readAll(byDigest.get(digestOfPath(file)) ?? file, max),
    peek: (file, bytes) => store.peek(byDigest.get(digestOfPath(file)) ?? file, bytes),
    open: (file) => store.open(byDigest.get(digestOfPath(file)) ?? file),
  };
  const config: Descriptor = { mediaType: 'application/vnd.oci.image.config.v1+json', digest: image.configDigest, size: configBytes.length };
  const layers: Descriptor[] = image.layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size }));
  await inParallel([config, ...layers], PARALLEL_BLOBS, (blob) => pushBlob(view, blob));
  const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: REGISTRY_MEDIA_TYPES.ociManifest, config, layers }));
  const digest = await client.putManifest(target, reference, manifest, REGISTRY_MEDIA_TYPES.ociManifest);
  onProgress?.({ kind: 'manifest', digest, size: manifest.length });
  return { digest, mediaType: REGISTRY_MEDIA_TYPES.ociManifest, size: manifest.length, blobs: layers.length + 1 };
}

function digestOfPath(file: string): string {
  const match = /^blobs\/(sha256|sha512)\/([a-f0-9]+)$/.exec(file);
  return match ? `${match[1]}:${match[2]}` : file;
}

function parseJsonArray(bytes: Buffer, what: string): unknown[] {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw new BadInputError(`${what}: invalid JSON: ${(error as Error).message}`);
  }
  if (!Array.isArray(value)) throw new BadInputError(`${what}: expected an array`);
  return value;
}

export interface PullResult {
  digest: string;
  mediaType: string;
  dir: string;
  blobs: number;
  bytes: number;
}

/**
 * Pulls `ref` into a new OCI image layout at `dir`, written in a temporary sibling folder and
 * renamed into place (a reader never sees half a layout; a failure leaves nothing). Manifests
 * and blobs are stored byte for byte as the registry holds them, each verified against its
 * digest while streaming. By default an index is followed to one platform (`platform`, else
 * linux/amd64 or the only one); `allPlatforms` copies the index and every manifest it lists.
 */
export async function pullImage(
  client: RegistryClient,
  ref: RegistryReference,
  dir: string,
  options: { platform?: Platform; allPlatforms?: boolean; onProgress?: CopyProgress } = {},
): Promise<PullResult> {
  const target = path.resolve(dir);
  const existing = await stat(target).catch(() => undefined);
  if (existing && (!existing.isDirectory() || (await readdir(target)).length > 0)) {
    throw new BadInputError(`pull: ${target} already exists and is not an empty folder; pull into a new folder`);
  }
  await mkdir(path.dirname(target), { recursive: true });
  const staging = path.join(path.dirname(target), `.${path.basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
  await mkdir(path.join(staging, 'blobs'), { recursive: true });
  const written = new Set<string>();
  let bytes = 0;
  const writeFileBlob = async (digest: string, data: Buffer): Promise<void> => {
    if (written.has(digest)) return;
    const file = path.join(staging, blobPath(digest));
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, data);
    written.add(digest);
    bytes += data.length;
  };
  const fetchBlob = async (d: Descriptor): Promise<void> => {
    if (written.has(d.digest)) return;
    written.add(d.digest);
    const file = path.join(staging, blobPath(d.digest));
    await mkdir(path.dirname(file), { recursive: true });
    await pipeline(await client.openBlob(ref, d.digest, d.size), createWriteStream(file, { flags: 'wx' }));
    bytes += d.size;
    options.onProgress?.({ kind: 'blob', digest: d.digest, size: d.size });
  };
  const fetchTree = async (reference: string, depth: number): Promise<{ digest: string; mediaType: string; size: number }> => {
    if (depth > MAX_INDEX_DEPTH) throw new BadInputError(`${ref.reference}: image indexes nested more than ${MAX_INDEX_DEPTH} deep`);
    const manifest = await client.getManifest(ref, reference);
    const json = parseJsonObject(manifest.bytes, `manifest ${manifest.digest}`);
    if (isIndexMediaType(manifest.mediaType) || (!json['config'] && Array.isArray(json['manifests']))) {
      const children = readDescriptors(json['manifests'], `index ${manifest.digest} manifests`);
      if (!options.allPlatforms) {
        const chosen = pickPlatform(children, options.platform, `${ref.reference} (index ${manifest.digest})`);
        return fetchTree(chosen.digest, depth + 1);
      }
      for (const child of children) await fetchTree(child.digest, depth + 1);
    } else {
      const blobs = [...readDescriptors([json['config']], `manifest ${manifest.digest} config`), ...readDescriptors(json['layers'], `manifest ${manifest.digest} layers`)];
      await inParallel(blobs, PARALLEL_BLOBS, fetchBlob);
    }
    await writeFileBlob(manifest.digest, manifest.bytes);
    options.onProgress?.({ kind: 'manifest', digest: manifest.digest, size: manifest.bytes.length });
    return { digest: manifest.digest, mediaType: manifest.mediaType, size: manifest.bytes.length };
  };
  try {
    const top = await fetchTree(ref.digest ?? ref.tag ?? 'latest', 0);
    const annotations = ref.tag !== undefined ? { annotations: { [REF_NAME]: ref.tag } } : {};
    const index = { schemaVersion: 2, mediaType: REGISTRY_MEDIA_TYPES.ociIndex, manifests: [{ mediaType: top.mediaType, digest: top.digest, size: top.size, ...annotations }] };
    await writeFile(path.join(staging, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
    await writeFile(path.join(staging, 'index.json'), JSON.stringify(index));
    if (existing) await rm(target, { recursive: true, force: true });
    await rename(staging, target);
    return { digest: top.digest, mediaType: top.mediaType, dir: target, blobs: written.size, bytes };
  } catch (error) {
    await rm(staging, { recursive: true, force: true }).catch(() => undefined);
    throw error;
  }
}
