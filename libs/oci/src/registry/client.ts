import { createHash, type Hash } from 'node:crypto';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { BadInputError } from '@bulkhead/plugin-sdk';
import { parseDigest } from '../digest';
import { Authenticator, describeRegistryErrors } from './auth';
import { dockerConfigCredentials, type CredentialSource } from './credentials';
import type { HostPolicy } from './host-policy';
import { assertManifestReference, assertRepositoryName, formatPlatform, formatRepository, platformMatches, type Platform, type RegistryReference, type RegistryRepository } from './reference';
import { drain, readBody, redact, RegistryHttpError, Transport, type HttpRequest, type HttpResponse } from './transport';
import { parseJsonObject } from '../json';

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
  platform?: { os: string; architecture: string; variant?: string };
}

export interface RegistryClientOptions {
  /** Default: the docker config ($REGISTRY_AUTH_FILE, $DOCKER_CONFIG/config.json, ~/.docker/config.json). */
  credentials?: CredentialSource;
  /** Hosts (`name` or `name:port`) spoken to over plain HTTP; loopback always is. */
  insecureHosts?: readonly string[];
  /** Server mode: which hosts may be reached on a client's behalf (redirects included). */
  hostPolicy?: HostPolicy;
  /** Largest manifest or index accepted; default 4 MiB. */
  maxManifestBytes?: number;
  /** Retries after a 429, a 5xx or a broken connection; default 4. */
  retries?: number;
  /** First backoff delay, doubled each retry; default 500 ms. */
  retryBaseDelayMs?: number;
  /** Cap on one wait (Retry-After included); default 30 s. */
  maxRetryDelayMs?: number;
  userAgent?: string;
  signal?: AbortSignal;
}

export const REGISTRY_MEDIA_TYPES = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  ociEmpty: 'application/vnd.oci.empty.v1+json',
} as const;

/** What getManifest asks for by default: every image manifest and index form. */
export const MANIFEST_ACCEPT: readonly string[] = [
  REGISTRY_MEDIA_TYPES.ociIndex,
  REGISTRY_MEDIA_TYPES.ociManifest,
  REGISTRY_MEDIA_TYPES.dockerList,
  REGISTRY_MEDIA_TYPES.dockerManifest,
];

/** The registry refused a request (4xx): bad name, missing object, credentials refused. */
export class RegistryRefusal extends BadInputError {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

const DEFAULT_MAX_MANIFEST = 4 * 1024 * 1024;
const DEFAULT_CHUNK = 16 * 1024 * 1024;
const MAX_TAG_PAGES = 10_000;
const MAX_TAGS = 1_000_000;
const MAX_INDEX_DEPTH = 4;
const MAX_REFERRER_PAGES = 100;

export function isIndexMediaType(mediaType: string | undefined): boolean {
  return mediaType === REGISTRY_MEDIA_TYPES.ociIndex || mediaType === REGISTRY_MEDIA_TYPES.dockerList;
}

function hashOf(algorithm: string, bytes: Buffer): string {
  return `${algorithm}:${createHash(algorithm).update(bytes).digest('hex')}`;
}


/** Descriptors of an index or referrers list, each checked for a digest, media type and size. */
export function readDescriptors(value: unknown, what: string): Descriptor[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new BadInputError(`${what}: expected an array of descriptors`);
  return value.map((raw, i) => {
    const d = raw as Partial<Descriptor> | null;
    if (!d || typeof d !== 'object') throw new BadInputError(`${what}[${i}]: not an object`);
    parseDigest(d.digest, `${what}[${i}].digest`);
    if (typeof d.mediaType !== 'string') throw new BadInputError(`${what}[${i}]: mediaType missing`);
    if (typeof d.size !== 'number' || !Number.isSafeInteger(d.size) || d.size < 0) throw new BadInputError(`${what}[${i}]: size missing or invalid`);
    return d as Descriptor;
  });
}

/** A stream that errors unless what passes through hashes to `digest` and (when known) is `size` bytes long. */
export function verifyingStream(digest: string, size: number | undefined, what: string): Transform {
  const { algorithm } = parseDigest(digest, what);
  const hash: Hash = createHash(algorithm);
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      seen += chunk.length;
      if (size !== undefined && seen > size) return callback(new BadInputError(`${what}: more than the ${size} bytes its descriptor declares`));
      hash.update(chunk);
      callback(null, chunk);
    },
    flush(callback: TransformCallback) {
      if (size !== undefined && seen !== size) return callback(new BadInputError(`${what}: ${seen} bytes, but its descriptor declares ${size}`));
      const actual = `${algorithm}:${hash.digest('hex')}`;
      if (actual !== digest) return callback(new BadInputError(`${what}: digest mismatch: expected ${digest}, actual ${actual}`));
      callback();
    },
  });
}

/**
 * A client of the OCI Distribution API (and Docker Registry HTTP API v2): manifests, blobs,
 * tags and referrers, with the token and basic auth flows, retries, size limits and — in
 * server mode — a host policy on every hop.
 */
export class RegistryClient {
  private readonly transport: Transport;
  private readonly auth: Authenticator;
  private readonly maxManifestBytes: number;

  constructor(options: RegistryClientOptions = {}) {
    this.transport = new Transport({
      insecureHosts: options.insecureHosts,
      hostPolicy: options.hostPolicy,
      retries: options.retries ?? 4,
      retryBaseDelayMs: options.retryBaseDelayMs ?? 500,
      maxRetryDelayMs: options.maxRetryDelayMs ?? 30_000,
      userAgent: options.userAgent ?? 'bulkhead',
      signal: options.signal,
      idleTimeoutMs: 120_000,
    });
    this.auth = new Authenticator(this.transport, options.credentials ?? dockerConfigCredentials());
    this.maxManifestBytes = options.maxManifestBytes ?? DEFAULT_MAX_MANIFEST;
  }

  /** Closes idle connections (they never keep the process alive; this frees them early). */
  close(): void {
    this.transport.close();
  }

  private url(repo: RegistryRepository, pathAndQuery: string): URL {
    assertRepositoryName(repo.repository);
    return new URL(`/v2/${repo.repository}/${pathAndQuery}`, this.transport.baseUrl(repo.registry));
  }

  /** Sends with the known Authorization header; on a 401 answers the challenge and sends once more. */
  private async request(repo: RegistryRepository, request: HttpRequest): Promise<HttpResponse> {
    const withAuth = (header: string | undefined): HttpRequest => ({
      ...request,
      headers: { ...(request.headers ?? {}), ...(header ? { authorization: header } : {}) },
    });
    const response = await this.transport.send(withAuth(this.auth.cached(repo.registry, repo.repository)));
    if (response.status !== 401) return response;
    const header = await this.auth.answer(repo.registry, repo.repository, response);
    const second = await this.transport.send(withAuth(header));
    if (second.status === 401 || second.status === 403) {
      this.auth.forget(repo.registry, repo.repository);
      // A HEAD answer has no body: ask again with GET for the registry's error code and message.
      const explained = request.method === 'HEAD' ? await this.transport.send({ ...withAuth(header), method: 'GET' }).catch(() => second) : second;
      if (explained !== second) second.body.resume();
      throw await this.failure(explained.status === second.status ? explained : second, `${request.method} ${formatRepository(repo)}`, 'credentials refused');
    }
    return second;
  }

  /** A clear error for an unexpected answer: URL, status, and the registry's own error codes. */
  private async failure(response: HttpResponse, what: string, hint?: string): Promise<Error> {
    const body = await readBody(response, 64 * 1024, 'error body').catch(() => Buffer.alloc(0));
    const detail = describeRegistryErrors(body) ?? (body.length ? body.toString('utf8').slice(0, 200).replace(/\s+/g, ' ').trim() : '');
    const message = `${what}: ${redact(response.url)} answered ${response.status}${hint ? ` (${hint})` : ''}${detail ? `: ${detail}` : ''}${response.attempts > 1 ? ` after ${response.attempts} attempts` : ''}`;
    // Refusals are about the input (credentials, names, sizes); 429/5xx are the registry's trouble.
    if (response.status === 429 || response.status >= 500) return new RegistryHttpError(message, response.status);
    return new RegistryRefusal(message, response.status);
  }

  async getManifest(repo: RegistryRepository, reference: string, accept: readonly string[] = MANIFEST_ACCEPT): Promise<{ digest: string; mediaType: string; bytes: Buffer }> {
    const what = `manifest ${formatRepository(repo)}${reference.includes(':') ? '@' : ':'}${reference}`;
    const byDigest = reference.includes(':');
    assertManifestReference(reference);
    const response = await this.request(repo, { method: 'GET', url: this.url(repo, `manifests/${reference}`), headers: { accept: accept.join(', ') }, followRedirects: true });
    if (response.status !== 200) throw await this.failure(response, `get ${what}`, response.status === 404 ? 'not found' : undefined);
    const bytes = await readBody(response, this.maxManifestBytes, what);
    const headerDigest = response.headers['docker-content-digest'];
    let digest: string;
    if (byDigest) {
      digest = reference;
      const actual = hashOf(parseDigest(reference, what).algorithm, bytes);
      if (actual !== reference) throw new BadInputError(`${what}: digest mismatch: expected ${reference}, actual ${actual}`);
    } else {
      digest = hashOf('sha256', bytes);
      if (typeof headerDigest === 'string' && headerDigest.startsWith('sha256:') && headerDigest !== digest) {
        throw new BadInputError(`${what}: Docker-Content-Digest ${headerDigest} does not match the bytes received (${digest})`);
      }
    }
    const json = parseJsonObject(bytes, what);
    const contentType = String(response.headers['content-type'] ?? '').split(';')[0]?.trim();
    const mediaType = typeof json['mediaType'] === 'string' ? json['mediaType'] : contentType || REGISTRY_MEDIA_TYPES.ociManifest;
    return { digest, mediaType, bytes };
  }

  async resolveImage(ref: RegistryReference, platform?: Platform): Promise<{ digest: string; mediaType: string; bytes: Buffer; indexDigests: string[] }> {
    let reference = ref.digest ?? ref.tag ?? 'latest';
    const indexDigests: string[] = [];
    for (let depth = 0; ; depth++) {
      const manifest = await this.getManifest(ref, reference);
      const json = parseJsonObject(manifest.bytes, `manifest ${manifest.digest}`);
      const isIndex = isIndexMediaType(manifest.mediaType) || (json['mediaType'] === undefined && Array.isArray(json['manifests']));
      if (!isIndex) return { ...manifest, indexDigests };
      if (depth >= MAX_INDEX_DEPTH) throw new BadInputError(`${ref.reference}: image indexes nested more than ${MAX_INDEX_DEPTH} deep`);
      indexDigests.unshift(manifest.digest);
      const chosen = pickPlatform(readDescriptors(json['manifests'], `index ${manifest.digest} manifests`), platform, `${ref.reference} (index ${manifest.digest})`);
      reference = chosen.digest;
    }
  }

  async headManifest(repo: RegistryRepository, reference: string): Promise<Descriptor | undefined> {
    assertManifestReference(reference);
    const response = await this.request(repo, { method: 'HEAD', url: this.url(repo, `manifests/${reference}`), headers: { accept: MANIFEST_ACCEPT.join(', ') }, followRedirects: true });
    response.body.resume();
    if (response.status === 404) return undefined;
    if (response.status !== 200) throw await this.failure(response, `head manifest ${formatRepository(repo)} ${reference}`);
    const digest = response.headers['docker-content-digest'];
    const size = Number(response.headers['content-length']);
    const mediaType = String(response.headers['content-type'] ?? '').split(';')[0]?.trim() ?? '';
    if (typeof digest !== 'string' || !Number.isSafeInteger(size)) {
      // Some registries leave out Docker-Content-Digest on HEAD: read the manifest instead.
      const manifest = await this.getManifest(repo, reference);
      return { mediaType: manifest.mediaType, digest: manifest.digest, size: manifest.bytes.length };
    }
    parseDigest(digest, `head manifest ${reference}: Docker-Content-Digest`);
    return { mediaType, digest, size };
  }

  async putManifest(repo: RegistryRepository, reference: string, bytes: Buffer, mediaType: string): Promise<string> {
    const what = `put manifest ${formatRepository(repo)} ${reference}`;
    assertManifestReference(reference);
    if (bytes.length > this.maxManifestBytes) throw new BadInputError(`${what}: ${bytes.length} bytes, over the ${this.maxManifestBytes}-byte limit`);
    const json = parseJsonObject(bytes, what);
    const digest = reference.includes(':') ? reference : hashOf('sha256', bytes);
    if (reference.includes(':')) {
      const actual = hashOf(parseDigest(reference, what).algorithm, bytes);
      if (actual !== reference) throw new BadInputError(`${what}: the manifest's digest is ${actual}, not ${reference}`);
    }
    const response = await this.request(repo, { method: 'PUT', url: this.url(repo, `manifests/${reference}`), headers: { 'content-type': mediaType }, body: bytes });
    if (response.status !== 201 && response.status !== 200) throw await this.failure(response, what);
    const subjectHeader = response.headers['oci-subject'];
    await drain(response);
    const subject = json['subject'] as Partial<Descriptor> | undefined;
    if (subject && typeof subject === 'object' && typeof subject.digest === 'string' && !subjectHeader) {
      await this.addToReferrersTag(repo, subject.digest, { mediaType, digest, size: bytes.length, ...artifactTypeOf(json), ...annotationsOf(json) });
    }
    return digest;
  }

  /**
   * The referrers tag schema: without a Referrers API the registry holds, at tag
   * `sha256-<hex>` of the subject, an index listing the manifests that refer to it.
   */
  private async addToReferrersTag(repo: RegistryRepository, subject: string, descriptor: Descriptor): Promise<void> {
    const tag = referrersTag(subject);
    let manifests: Descriptor[] = [];
    try {
      const existing = await this.getManifest(repo, tag, [REGISTRY_MEDIA_TYPES.ociIndex]);
      manifests = readDescriptors(parseJsonObject(existing.bytes, `referrers index ${tag}`)['manifests'], `referrers index ${tag} manifests`);
    } catch (error) {
      if (!(error instanceof RegistryRefusal && error.status === 404)) throw error;
    }
    if (manifests.some((m) => m.digest === descriptor.digest)) return;
    const index = { schemaVersion: 2, mediaType: REGISTRY_MEDIA_TYPES.ociIndex, manifests: [...manifests, descriptor] };
    await this.putManifest(repo, tag, Buffer.from(JSON.stringify(index)), REGISTRY_MEDIA_TYPES.ociIndex);
  }

  async hasBlob(repo: RegistryRepository, digest: string): Promise<boolean> {
    parseDigest(digest, 'blob digest');
    const response = await this.request(repo, { method: 'HEAD', url: this.url(repo, `blobs/${digest}`), followRedirects: true });
    response.body.resume();
    if (response.status === 200) return true;
    if (response.status === 404) return false;
    throw await this.failure(response, `head blob ${formatRepository(repo)}@${digest}`);
  }

  async openBlob(repo: RegistryRepository, digest: string, size?: number): Promise<Readable> {
    const what = `blob ${formatRepository(repo)}@${digest}`;
    parseDigest(digest, what);
    const response = await this.request(repo, { method: 'GET', url: this.url(repo, `blobs/${digest}`), followRedirects: true });
    if (response.status !== 200) throw await this.failure(response, `get ${what}`, response.status === 404 ? 'not found' : undefined);
    const declared = Number(response.headers['content-length']);
    if (size !== undefined && Number.isFinite(declared) && declared > size) {
      response.body.destroy();
      throw new BadInputError(`${what}: the registry sends ${declared} bytes, but its descriptor declares ${size}`);
    }
    const verify = verifyingStream(digest, size, what);
    response.body.on('error', (error) => verify.destroy(error));
    verify.on('close', () => {
      if (!response.body.readableEnded) response.body.destroy();
    });
    return response.body.pipe(verify);
  }

  async readBlob(repo: RegistryRepository, digest: string, maxBytes: number): Promise<Buffer> {
    const stream = await this.openBlob(repo, digest);
    const chunks: Buffer[] = [];
    let total = 0;
    for await (const chunk of stream) {
      total += (chunk as Buffer).length;
      if (total > maxBytes) {
        stream.destroy();
        throw new BadInputError(`blob ${formatRepository(repo)}@${digest}: more than ${maxBytes} bytes, over the limit`);
      }
      chunks.push(chunk as Buffer);
    }
    return Buffer.concat(chunks, total);
  }

  async pushBlob(
    repo: RegistryRepository,
    content: Buffer | (() => Readable),
    digest: string,
    size: number,
    options: { chunkSize?: number; mountFrom?: string } = {},
  ): Promise<void> {
    const what = `push blob ${formatRepository(repo)}@${digest}`;
    parseDigest(digest, what);
    if (!Number.isSafeInteger(size) || size < 0) throw new BadInputError(`${what}: size ${size} is not valid`);
    if (Buffer.isBuffer(content) && content.length !== size) throw new BadInputError(`${what}: ${content.length} bytes given, ${size} declared`);
    if (await this.hasBlob(repo, digest)) return;
    const chunkSize = options.chunkSize ?? DEFAULT_CHUNK;
    if (!Number.isSafeInteger(chunkSize) || chunkSize < 1) throw new BadInputError(`${what}: chunkSize ${chunkSize} is not valid`);

    const start = this.url(repo, 'blobs/uploads/');
    if (options.mountFrom) {
      start.searchParams.set('mount', digest);
      start.searchParams.set('from', options.mountFrom);
    }
    const started = await this.request(repo, { method: 'POST', url: start });
    if (started.status === 201) {
      await drain(started);
      return; // mounted from the other repository
    }
    if (started.status !== 202) throw await this.failure(started, `${what}: start upload`);
    let location = this.uploadLocation(started, what);
    await drain(started);

    try {
      if (Buffer.isBuffer(content) || size <= chunkSize) {
        const bytes = Buffer.isBuffer(content) ? content : await readExactly(content(), size, what);
        verifyBuffer(bytes, digest, what);
        await this.finishUpload(repo, location, digest, bytes, what);
        return;
      }
      // Chunked: PATCH each chunk with its Content-Range, then PUT ?digest= with no body. Only one
      // chunk is held in memory; the digest is checked as the chunks go by.
      const hash = createHash(parseDigest(digest, what).algorithm);
      let offset = 0;
      for await (const chunk of chunks(content(), chunkSize)) {
        if (offset + chunk.length > size) throw new BadInputError(`${what}: the stream has more than the ${size} bytes declared`);
        hash.update(chunk);
        const patched = await this.request(repo, {
          method: 'PATCH',
          url: location,
          headers: { 'content-type': 'application/octet-stream', 'content-range': `${offset}-${offset + chunk.length - 1}` },
          body: chunk,
        });
        if (patched.status !== 202) throw await this.failure(patched, `${what}: upload chunk at ${offset}`);
        location = this.uploadLocation(patched, what);
        await drain(patched);
        offset += chunk.length;
      }
      if (offset !== size) throw new BadInputError(`${what}: the stream has ${offset} bytes, ${size} declared`);
      const actual = `${parseDigest(digest, what).algorithm}:${hash.digest('hex')}`;
      if (actual !== digest) throw new BadInputError(`${what}: digest mismatch: expected ${digest}, actual ${actual}`);
      await this.finishUpload(repo, location, digest, undefined, what);
    } catch (error) {
      // Cancel the upload session so the registry does not keep the partial data.
      await this.request(repo, { method: 'DELETE', url: location }).then(drain, () => undefined);
      throw error;
    }
  }

  private uploadLocation(response: HttpResponse, what: string): URL {
    const location = response.headers.location;
    if (typeof location !== 'string' || !location) throw new BadInputError(`${what}: the registry gave no upload Location`);
    let url: URL;
    try {
      url = new URL(location, response.url);
    } catch {
      throw new BadInputError(`${what}: upload Location ${JSON.stringify(location.slice(0, 200))} is not a URL`);
    }
    // The upload must stay with the registry; credentials go with it.
    if (url.origin !== response.url.origin) throw new BadInputError(`${what}: upload Location points to another origin (${url.origin})`);
    return url;
  }

  private async finishUpload(repo: RegistryRepository, location: URL, digest: string, body: Buffer | undefined, what: string): Promise<void> {
    const url = new URL(location);
    url.searchParams.set('digest', digest);
    const response = await this.request(repo, { method: 'PUT', url, headers: { 'content-type': 'application/octet-stream' }, ...(body ? { body } : {}) });
    if (response.status !== 201 && response.status !== 204) throw await this.failure(response, `${what}: finish upload`);
    await drain(response);
  }

  async listTags(repo: RegistryRepository): Promise<string[]> {
    const what = `tags of ${formatRepository(repo)}`;
    const tags: string[] = [];
    let url: URL | undefined = this.url(repo, 'tags/list?n=1000');
    for (let page = 0; url; page++) {
      if (page >= MAX_TAG_PAGES) throw new BadInputError(`${what}: more than ${MAX_TAG_PAGES} pages`);
      const response = await this.request(repo, { method: 'GET', url, followRedirects: true });
      if (response.status === 404 && page === 0) {
        await drain(response);
        return [];
      }
      if (response.status !== 200) throw await this.failure(response, `list ${what}`);
      const json = parseJsonObject(await readBody(response, this.maxManifestBytes, what), what);
      const pageTags = json['tags'];
      if (pageTags !== null && pageTags !== undefined) {
        if (!Array.isArray(pageTags) || pageTags.some((t) => typeof t !== 'string')) throw new BadInputError(`${what}: "tags" is not a list of strings`);
        tags.push(...(pageTags as string[]));
      }
      if (tags.length > MAX_TAGS) throw new BadInputError(`${what}: more than ${MAX_TAGS} tags`);
      url = nextLink(response, what);
    }
    return tags;
  }

  async referrers(repo: RegistryRepository, digest: string, artifactType?: string): Promise<Descriptor[]> {
    const what = `referrers of ${formatRepository(repo)}@${digest}`;
    parseDigest(digest, what);
    let url: URL | undefined = this.url(repo, `referrers/${digest}`);
    if (artifactType) url.searchParams.set('artifactType', artifactType);
    const found: Descriptor[] = [];
    for (let page = 0; url; page++) {
      if (page >= MAX_REFERRER_PAGES) throw new BadInputError(`${what}: more than ${MAX_REFERRER_PAGES} pages`);
      const response = await this.request(repo, { method: 'GET', url, headers: { accept: REGISTRY_MEDIA_TYPES.ociIndex }, followRedirects: true });
      // 404 (distribution 2.8) or 405/400: no Referrers API here; use the tag schema.
      if (page === 0 && (response.status === 404 || response.status === 405 || response.status === 400)) {
        await drain(response);
        return this.referrersFromTag(repo, digest, artifactType);
      }
      if (response.status !== 200) throw await this.failure(response, `get ${what}`);
      const json = parseJsonObject(await readBody(response, this.maxManifestBytes, what), what);
      found.push(...readDescriptors(json['manifests'], `${what} manifests`));
      url = nextLink(response, what);
    }
    return artifactType ? found.filter((d) => d.artifactType === artifactType) : found;
  }

  private async referrersFromTag(repo: RegistryRepository, digest: string, artifactType: string | undefined): Promise<Descriptor[]> {
    const tag = referrersTag(digest);
    let manifest;
    try {
      manifest = await this.getManifest(repo, tag, [REGISTRY_MEDIA_TYPES.ociIndex]);
    } catch (error) {
      if (error instanceof RegistryRefusal && error.status === 404) return [];
      throw error;
    }
    const all = readDescriptors(parseJsonObject(manifest.bytes, `referrers index ${tag}`)['manifests'], `referrers index ${tag} manifests`);
    return artifactType ? all.filter((d) => d.artifactType === artifactType) : all;
  }
}

/** `sha256:<hex>` → `sha256-<hex>` (the referrers tag schema; tags cannot hold a colon). */
export function referrersTag(digest: string): string {
  const { algorithm, hex } = parseDigest(digest, 'subject digest');
  return `${algorithm}-${hex}`.slice(0, 128);
}

function artifactTypeOf(json: Record<string, unknown>): { artifactType?: string } {
  if (typeof json['artifactType'] === 'string') return { artifactType: json['artifactType'] };
  const config = json['config'] as { mediaType?: unknown } | undefined;
  if (config && typeof config.mediaType === 'string' && config.mediaType !== REGISTRY_MEDIA_TYPES.ociEmpty) return { artifactType: config.mediaType };
  return {};
}

function annotationsOf(json: Record<string, unknown>): { annotations?: Record<string, string> } {
  const annotations = json['annotations'];
  return annotations && typeof annotations === 'object' && !Array.isArray(annotations) ? { annotations: annotations as Record<string, string> } : {};
}

/** The `Link: <url>; rel="next"` of a paginated answer, kept on the same origin. */
function nextLink(response: HttpResponse, what: string): URL | undefined {
  const link = response.headers.link;
  if (typeof link !== 'string') return undefined;
  const match = /<([^>]+)>\s*;\s*rel="?next"?/i.exec(link);
  if (!match?.[1]) return undefined;
  const next = new URL(match[1], response.url);
  if (next.origin !== response.url.origin) throw new BadInputError(`${what}: pagination Link points to another origin (${next.origin})`);
  return next;
}

function verifyBuffer(bytes: Buffer, digest: string, what: string): void {
  const actual = hashOf(parseDigest(digest, what).algorithm, bytes);
  if (actual !== digest) throw new BadInputError(`${what}: digest mismatch: expected ${digest}, actual ${actual}`);
}

async function readExactly(stream: Readable, size: number, what: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream) {
    total += (chunk as Buffer).length;
    if (total > size) {
      stream.destroy();
      throw new BadInputError(`${what}: the stream has more than the ${size} bytes declared`);
    }
    parts.push(chunk as Buffer);
  }
  if (total !== size) throw new BadInputError(`${what}: the stream has ${total} bytes, ${size} declared`);
  return Buffer.concat(parts, total);
}

/** Re-cuts a stream into buffers of exactly `size` bytes (the last one shorter). */
async function* chunks(stream: Readable, size: number): AsyncGenerator<Buffer> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  try {
    for await (const raw of stream) {
      let chunk = raw as Buffer;
      while (chunk.length) {
        const take = Math.min(size - pendingBytes, chunk.length);
        pending.push(chunk.subarray(0, take));
        pendingBytes += take;
        chunk = chunk.subarray(take);
        if (pendingBytes === size) {
          yield Buffer.concat(pending, pendingBytes);
          pending = [];
          pendingBytes = 0;
        }
      }
    }
    if (pendingBytes) yield Buffer.concat(pending, pendingBytes);
  } finally {
    stream.destroy();
  }
}

/**
 * Picks the manifest for `platform` from an index (default linux/amd64, or the only image).
 * Attestation manifests (`unknown/unknown`, buildx) are never images.
 */
export function pickPlatform(manifests: Descriptor[], platform: Platform | undefined, what: string): Descriptor {
  const images = manifests.filter((m) => m.platform?.os !== 'unknown' && m.annotations?.['vnd.docker.reference.type'] !== 'attestation-manifest');
  const available = images.map((m) => formatPlatform(m.platform)).join(', ') || 'none';
  if (platform) {
    const match = images.find((m) => platformMatches(platform, m.platform));
    if (!match) throw new BadInputError(`${what}: no image for platform ${formatPlatform(platform)} (available: ${available})`);
    return match;
  }
  const amd64 = images.find((m) => platformMatches({ os: 'linux', architecture: 'amd64' }, m.platform));
  if (amd64) return amd64;
  if (images.length === 1 && images[0]) return images[0];
  throw new BadInputError(`${what}: no linux/amd64 image and more than one platform (${available}); choose one with --platform`);
}
