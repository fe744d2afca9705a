import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, rm } from 'node:fs/promises';
import path from 'node:path';
import { BadInputError } from '@bulkhead/plugin-sdk';
import yauzl from 'yauzl';
import { formatBytes } from '../import/limits';

/*
 * `bulkhead db update` transport: one advisory feed over HTTP(S) with Node's fetch (undici).
 *
 *  - Conditional: the previous run's ETag / Last-Modified go out as If-None-Match /
 *    If-Modified-Since; a 304 downloads nothing.
 *  - Streamed to a temporary file in the cache directory while hashed (SHA-256) and counted,
 *    within a size limit; never held in memory.
 *  - Verified before anyone reads it: against a `<url>.sha256` sidecar when the server has one,
 *    else the byte count against Content-Length; a zip must also have a readable central
 *    directory (it sits at the end: a truncated zip has none). A body that can be verified
 *    neither way (no sidecar, no Content-Length, not a zip) is refused.
 *  - Any failure throws and removes the temporary file; the importer only ever sees a verified
 *    file, so a failed or truncated download leaves the stored data as it was.
 *  - Redirects are followed by hand (limit, no https → http downgrade). Plain http is allowed,
 *    for local mirrors, and reported through `onWarning`: it has no transport security, so only
 *    the sidecar checksum (itself fetched over http) stands between the data and a tamperer.
 */

export interface FeedValidators {
  etag?: string;
  lastModified?: string;
  /** SHA-256 (hex) of the last body downloaded. */
  sha256?: string;
}

export interface FetchFeedOptions {
  /** The cache directory; downloads go to `<cacheDir>/feeds` (created 0700). */
  cacheDir: string;
  /** Largest body accepted (default 4 GiB). */
  maxBytes?: number;
  /** Redirects followed at most (default 5). */
  maxRedirects?: number;
  /** Longest wait for response headers or for the next body chunk (default 60 s). */
  idleTimeoutMs?: number;
  /** Called for conditions worth telling the user that are not failures (plain http). */
  onWarning?: (message: string) => void;
  /** The fetch implementation (default the global one). */
  fetch?: typeof fetch;
}

export type FeedFetch =
  | { status: 'not-modified'; url: string; validators: FeedValidators }
  /** Downloaded and verified, but byte-identical to the previous run's body (same SHA-256). */
  | { status: 'unchanged'; url: string; validators: FeedValidators }
  | {
      status: 'downloaded';
      url: string;
      /** The verified body; delete it with dispose() once imported. */
      file: string;
      bytes: number;
      validators: FeedValidators;
      /** How completeness was established. */
      verifiedBy: 'sha256-sidecar' | 'content-length' | 'zip-central-directory';
      dispose(): Promise<void>;
    };

/** A download that failed or could not be verified: nothing was handed to the importer. */
export class FeedError extends BadInputError {}

const DEFAULT_MAX_BYTES = 4 * 1024 * 1024 * 1024;
const SIDECAR_MAX_BYTES = 4096;

export async function fetchFeed(url: string, previous: FeedValidators, options: FetchFeedOptions): Promise<FeedFetch> {
  const target = parseFeedUrl(url);
  if (target.protocol === 'http:') options.onWarning?.(`${url}: plain http has no transport security; use it only for a trusted local mirror`);
  const headers: Record<string, string> = { 'accept-encoding': 'identity' };
  if (previous.etag) headers['if-none-match'] = previous.etag;
  if (previous.lastModified) headers['if-modified-since'] = previous.lastModified;
  const { response, finalUrl, abort, armIdle } = await request(target, headers, options);
  try {
    if (response.status === 304) {
      await response.body?.cancel();
      return { status: 'not-modified', url, validators: { ...previous, ...validatorsOf(response, previous.sha256) } };
    }
    if (response.status !== 200) {
      await response.body?.cancel();
      throw new FeedError(`${url}: the server answered ${response.status} ${response.statusText}`.trim());
    }
    const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
    const declared = contentLength(response);
    if (declared !== undefined && declared > maxBytes) {
      await response.body?.cancel();
      throw new FeedError(`${url}: ${formatBytes(declared)} declared, over the ${formatBytes(maxBytes)} limit`);
    }
    const dir = path.join(options.cacheDir, 'feeds');
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const file = path.join(dir, `download-${randomBytes(8).toString('hex')}.part`);
    try {
      const { bytes, sha256 } = await download(response, file, maxBytes, url, armIdle);
      if (declared !== undefined && bytes !== declared) throw new FeedError(`${url}: truncated download: ${bytes} of ${declared} bytes received`);
      const verifiedBy = await verify(finalUrl, file, bytes, sha256, declared, options, url);
      const validators: FeedValidators = { ...validatorsOf(response, sha256), sha256 };
      if (previous.sha256 === sha256) {
        await rm(file, { force: true });
        return { status: 'unchanged', url, validators };
      }
      return { status: 'downloaded', url, file, bytes, validators, verifiedBy, dispose: () => rm(file, { force: true }) };
    } catch (error) {
      await rm(file, { force: true });
      throw error;
    }
  } finally {
    abort();
  }
}

/**
 * fetchFeed, then `importFile` on the verified body, then the body deleted whatever happens.
 * `importFile` is not called when nothing changed or when the download failed.
 */
export async function withFeed<T>(
  url: string,
  previous: FeedValidators,
  options: FetchFeedOptions,
  importFile: (file: string, validators: FeedValidators) => Promise<T>,
): Promise<{ status: 'not-modified' | 'unchanged'; validators: FeedValidators } | { status: 'downloaded'; validators: FeedValidators; result: T }> {
  const fetched = await fetchFeed(url, previous, options);
  if (fetched.status !== 'downloaded') return { status: fetched.status, validators: fetched.validators };
  try {
    return { status: 'downloaded', validators: fetched.validators, result: await importFile(fetched.file, fetched.validators) };
  } finally {
    await fetched.dispose();
  }
}

function parseFeedUrl(url: string): URL {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    throw new FeedError(`${JSON.stringify(url)} is not a URL`);
  }
  if (target.protocol !== 'https:' && target.protocol !== 'http:') throw new FeedError(`${url}: only http(s) feeds are supported`);
  if (target.username || target.password) throw new FeedError(`${url}: credentials in feed URLs are not accepted (they would be stored with the feed)`);
  return target;
}

function validatorsOf(response: Response, sha256: string | undefined): FeedValidators {
  const etag = response.headers.get('etag');
  const lastModified = response.headers.get('last-modified');
  return { ...(etag ? { etag } : {}), ...(lastModified ? { lastModified } : {}), ...(sha256 ? { sha256 } : {}) };
}

function contentLength(response: Response): number | undefined {
  const value = response.headers.get('content-length');
  if (value === null || !/^\d+$/.test(value.trim())) return undefined;
  return Number(value);
}

interface Requested {
  response: Response;
  finalUrl: URL;
  /** Stops the idle timer and aborts anything still in flight. */
  abort(): void;
  /** Restarts the idle timer (call on every chunk). */
  armIdle(): void;
}

/** GET with redirects followed by hand, and an idle timeout that aborts the request. */
async function request(url: URL, headers: Record<string, string>, options: FetchFeedOptions): Promise<Requested> {
  const fetchImpl = options.fetch ?? fetch;
  const idle = options.idleTimeoutMs ?? 60_000;
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const armIdle = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => controller.abort(new FeedError(`${url.href}: no data for ${idle} ms`)), idle);
    timer.unref();
  };
  const abort = (): void => {
    clearTimeout(timer);
    controller.abort();
  };
  let current = url;
  const maxRedirects = options.maxRedirects ?? 5;
  try {
    for (let hop = 0; ; hop++) {
      armIdle();
      let response: Response;
      try {
        response = await fetchImpl(current, { headers, redirect: 'manual', signal: controller.signal });
      } catch (error) {
        throw new FeedError(`${current.href}: request failed (${describe(error, controller)})`, { cause: error });
      }
      if (![301, 302, 303, 307, 308].includes(response.status)) return { response, finalUrl: current, abort, armIdle };
      await response.body?.cancel();
      const location = response.headers.get('location');
      if (!location) throw new FeedError(`${current.href}: redirect ${response.status} without a Location`);
      if (hop >= maxRedirects) throw new FeedError(`${url.href}: more than ${maxRedirects} redirects`);
      const next = new URL(location, current);
      if (next.protocol !== 'https:' && next.protocol !== 'http:') throw new FeedError(`${current.href}: redirect to unsupported ${next.protocol} URL`);
      if (current.protocol === 'https:' && next.protocol === 'http:') throw new FeedError(`${current.href}: refusing a redirect from https to http (${next.href})`);
      current = next;
    }
  } catch (error) {
    abort();
    throw error;
  }
}

function describe(error: unknown, controller: AbortController): string {
  if (controller.signal.aborted && controller.signal.reason instanceof Error) return controller.signal.reason.message;
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message;
}

/** Streams the body to `file`, hashing and counting; throws past maxBytes or on a broken stream. */
async function download(response: Response, file: string, maxBytes: number, url: string, armIdle: () => void): Promise<{ bytes: number; sha256: string }> {
  if (!response.body) throw new FeedError(`${url}: empty response`);
  const hash = createHash('sha256');
  const handle = await open(file, 'wx', 0o600);
  let bytes = 0;
  try {
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        armIdle();
        bytes += chunk.length;
        if (bytes > maxBytes) throw new FeedError(`${url}: body passes the ${formatBytes(maxBytes)} limit`);
        hash.update(chunk);
        await handle.write(chunk);
      }
    } catch (error) {
      if (error instanceof FeedError) throw error;
      // undici: "terminated" when the connection closes before Content-Length bytes arrived.
      throw new FeedError(`${url}: download broke off after ${bytes} bytes (${(error as { cause?: Error }).cause?.message ?? (error as Error).message})`, { cause: error });
    }
    await handle.sync();
  } finally {
    await handle.close();
  }
  return { bytes, sha256: hash.digest('hex') };
}

/** Checks the downloaded body; returns how its integrity was established. */
async function verify(finalUrl: URL, file: string, bytes: number, sha256: string, declared: number | undefined, options: FetchFeedOptions, url: string): Promise<'sha256-sidecar' | 'content-length' | 'zip-central-directory'> {
  const expected = await sidecarChecksum(finalUrl, options);
  if (expected !== undefined && expected !== sha256) throw new FeedError(`${url}: checksum mismatch: ${sha256} received, ${expected} expected by ${finalUrl.href}.sha256`);
  const zip = await isZip(file);
  if (zip) await checkZip(file, url);
  if (expected !== undefined) return 'sha256-sidecar';
  if (declared !== undefined) return 'content-length';
  if (zip) return 'zip-central-directory';
  throw new FeedError(`${url}: cannot verify the download is complete (${bytes} bytes; no ${finalUrl.href}.sha256, no Content-Length, not a zip)`);
}

/** The hex digest of `<url>.sha256` (`<hex>` or `<hex>  <name>`), or undefined when the server has none (404/410). */
async function sidecarChecksum(url: URL, options: FetchFeedOptions): Promise<string | undefined> {
  const sidecar = new URL(url.href);
  sidecar.pathname += '.sha256';
  sidecar.search = url.search;
  const { response, abort } = await request(sidecar, { 'accept-encoding': 'identity' }, options);
  try {
    if (response.status === 404 || response.status === 410) {
      await response.body?.cancel();
      return undefined;
    }
    if (response.status !== 200) {
      await response.body?.cancel();
      throw new FeedError(`${sidecar.href}: the server answered ${response.status} for the checksum`);
    }
    const text = await boundedText(response, SIDECAR_MAX_BYTES, sidecar.href);
    const match = /^\s*([0-9a-fA-F]{64})(?:\s|$)/.exec(text);
    if (!match?.[1]) throw new FeedError(`${sidecar.href}: not a SHA-256 checksum file`);
    return match[1].toLowerCase();
  } finally {
    abort();
  }
}

async function boundedText(response: Response, maxBytes: number, where: string): Promise<string> {
  const chunks: Uint8Array[] = [];
  let length = 0;
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    length += chunk.length;
    if (length > maxBytes) throw new FeedError(`${where}: checksum file larger than ${maxBytes} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

async function isZip(file: string): Promise<boolean> {
  const handle = await open(file, 'r');
  try {
    const head = Buffer.alloc(4);
    const { bytesRead } = await handle.read(head, 0, 4, 0);
    return bytesRead === 4 && head[0] === 0x50 && head[1] === 0x4b && (head[2] === 3 || head[2] === 5) && (head[3] === 4 || head[3] === 6);
  } finally {
    await handle.close();
  }
}

/** Reads the whole central directory (not the entries' data): a truncated zip fails here. */
async function checkZip(file: string, url: string): Promise<void> {
  let zip: yauzl.ZipFile | undefined;
  try {
    zip = await yauzl.openPromise(file, { lazyEntries: true, autoClose: false, decodeStrings: false });
    for await (const entry of zip.eachEntry()) void entry;
  } catch (error) {
    throw new FeedError(`${url}: the zip's central directory is unreadable (${(error as Error).message}): truncated or corrupt download`, { cause: error });
  } finally {
    zip?.close();
  }
}
