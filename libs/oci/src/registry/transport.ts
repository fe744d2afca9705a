import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http, { type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { BadInputError } from '@bulkhead/plugin-sdk';
import { isLoopbackHost, type HostPolicy } from './host-policy';

export interface TransportOptions {
  insecureHosts?: readonly string[];
  hostPolicy?: HostPolicy;
  retries: number;
  retryBaseDelayMs: number;
  maxRetryDelayMs: number;
  userAgent: string;
  signal?: AbortSignal;
  /** A socket idle this long fails the request. */
  idleTimeoutMs: number;
}

export interface HttpRequest {
  method: 'GET' | 'HEAD' | 'PUT' | 'POST' | 'PATCH' | 'DELETE';
  url: URL;
  headers?: Record<string, string>;
  /** Bodies are always buffers, so a request can be sent again after a 401 or a retryable error. */
  body?: Buffer;
  /** Follow 3xx redirects (GET/HEAD of manifests and blobs: blobs often live on a storage host). */
  followRedirects?: boolean;
}

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** Where the answer came from, after redirects. */
  url: URL;
  body: IncomingMessage;
  /** How many times the request was sent (retries included), for error messages. */
  attempts: number;
}

const MAX_REDIRECTS = 5;
const RETRYABLE_STATUS = new Set([429, 500, 502, 503, 504]);
const RETRYABLE_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'UND_ERR_SOCKET', 'ERR_STREAM_PREMATURE_CLOSE']);

/** The registry could not be reached or kept failing (429 / 5xx after the retries): worth a later retry. */
export class RegistryHttpError extends Error {
  override readonly name = 'RegistryHttpError';
  constructor(
    message: string,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * HTTP for the registry client: scheme choice (plain HTTP only for loopback and insecure hosts),
 * the host policy before each hop and on each resolved address, manual redirects (re-checked,
 * credentials dropped when the origin changes), and retries with backoff on 429 / 5xx and on
 * connection failures.
 */
export class Transport {
  private readonly httpAgent: http.Agent;
  private readonly httpsAgent: https.Agent;
  private readonly insecure: Set<string>;

  constructor(readonly options: TransportOptions) {
    const lookup = this.makeLookup();
    this.httpAgent = new http.Agent({ keepAlive: true, maxSockets: 8, lookup } as http.AgentOptions);
    this.httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 8, lookup } as https.AgentOptions);
    this.insecure = new Set((options.insecureHosts ?? []).map((h) => h.trim().toLowerCase()).filter(Boolean));
  }

  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  /** May `host` (`name[:port]`) be spoken to over plain HTTP? */
  plainHttpAllowed(hostname: string, port: string): boolean {
    const host = hostname.toLowerCase();
    const bare = host.replace(/^\[|\]$/g, '');
    return isLoopbackHost(bare) || this.insecure.has(host) || this.insecure.has(bare) || (port !== '' && (this.insecure.has(`${host}:${port}`) || this.insecure.has(`${bare}:${port}`)));
  }

  /** The API base of a registry: `https://host/` unless plain HTTP is allowed for it. */
  baseUrl(registry: string): URL {
    const apiHost = registry === 'docker.io' ? 'registry-1.docker.io' : registry;
    let url: URL;
    try {
      url = new URL(`http://${apiHost}/`);
    } catch {
      throw new BadInputError(`registry ${JSON.stringify(registry)} is not a valid host[:port]`);
    }
    return this.plainHttpAllowed(url.hostname, url.port) ? url : new URL(`https://${apiHost}/`);
  }

  /**
   * Resolves names with the system resolver, then (in server mode) checks every address the
   * socket may connect to, so the policy holds for the address used, not just for the name.
   */
  private makeLookup(): LookupFunction {
    const policy = this.options.hostPolicy;
    return ((hostname: string, options: object, callback: (...args: unknown[]) => void) => {
      dnsLookup(hostname, { ...(options as object), all: true }, (error, addresses: LookupAddress[]) => {
        if (error) return callback(error);
        try {
          for (const { address } of addresses) policy?.checkAddress?.(hostname, address);
        } catch (refusal) {
          return callback(refusal);
        }
        if ((options as { all?: boolean }).all) return callback(null, addresses);
        const first = addresses[0];
        if (!first) return callback(Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' }));
        callback(null, first.address, first.family);
      });
    }) as LookupFunction;
  }

  /** Checks a URL (the first one or a redirect target) against scheme rules and the host policy. */
  async checkUrl(url: URL, what: string): Promise<void> {
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new BadInputError(`${what}: ${url.protocol} URLs are not followed (${redact(url)})`);
    if (url.protocol === 'http:' && !this.plainHttpAllowed(url.hostname, url.port)) {
      throw new BadInputError(`${what}: plain HTTP to ${url.host} refused; only loopback hosts and hosts named insecure (BULKHEAD_REGISTRY_INSECURE_HOSTS) may use http`);
    }
    if (url.username || url.password) throw new BadInputError(`${what}: URLs with embedded credentials are refused (${url.host})`);
    await this.options.hostPolicy?.check(url);
  }

  /** One request with redirects and retries; the caller reads or drains the body. */
  async send(request: HttpRequest): Promise<HttpResponse> {
    let attempt = 0;
    for (;;) {
      attempt++;
      let response: HttpResponse;
      try {
        response = await this.sendFollowingRedirects(request);
      } catch (error) {
        if (!isRetryableError(error) || attempt > this.options.retries) {
          if (error instanceof BadInputError) throw error;
          const code = (error as NodeJS.ErrnoException).code;
          throw new RegistryHttpError(`${request.method} ${redact(request.url)}: ${(error as Error).message}${code && !(error as Error).message.includes(code) ? ` (${code})` : ''}${attempt > 1 ? ` after ${attempt} attempts` : ''}`, undefined, { cause: error });
        }
        await this.sleep(this.backoff(attempt));
        continue;
      }
      response.attempts = attempt;
      if (!RETRYABLE_STATUS.has(response.status) || attempt > this.options.retries) return response;
      const delay = this.retryDelay(response, attempt);
      response.body.resume();
      await this.sleep(delay);
    }
  }

  private backoff(attempt: number): number {
    const base = this.options.retryBaseDelayMs * 2 ** (attempt - 1);
    return Math.min(this.options.maxRetryDelayMs, base + Math.random() * base * 0.25);
  }

  /** Retry-After (seconds or an HTTP date) when given, capped; exponential backoff otherwise. */
  private retryDelay(response: HttpResponse, attempt: number): number {
    const header = response.headers['retry-after'];
    if (typeof header === 'string' && header.trim()) {
      const seconds = Number(header.trim());
      const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(header) - Date.now();
      if (Number.isFinite(ms) && ms >= 0) return Math.min(this.options.maxRetryDelayMs, ms);
    }
    return this.backoff(attempt);
  }

  private sleep(ms: number): Promise<void> {
    const signal = this.options.signal;
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  private async sendFollowingRedirects(request: HttpRequest): Promise<HttpResponse> {
    let url = request.url;
    let headers = { ...(request.headers ?? {}) };
    let method = request.method;
    for (let hop = 0; ; hop++) {
      await this.checkUrl(url, hop === 0 ? `${method} ${redact(url)}` : `redirect to ${redact(url)}`);
      const response = await this.sendOnce(method, url, headers, method === request.method ? request.body : undefined);
      const location = response.headers.location;
      if (!request.followRedirects || ![301, 302, 303, 307, 308].includes(response.status) || typeof location !== 'string') return response;
      response.body.resume();
      if (hop >= MAX_REDIRECTS) throw new BadInputError(`${request.method} ${redact(request.url)}: more than ${MAX_REDIRECTS} redirects`);
      let next: URL;
      try {
        next = new URL(location, url);
      } catch {
        throw new BadInputError(`${request.method} ${redact(url)}: redirect to an invalid URL ${JSON.stringify(location.slice(0, 200))}`);
      }
      // Never send the registry's credentials to another origin (a storage host gets a signed URL).
      if (next.origin !== url.origin) {
        headers = Object.fromEntries(Object.entries(headers).filter(([k]) => k.toLowerCase() !== 'authorization'));
      }
      if (response.status === 303) method = method === 'HEAD' ? 'HEAD' : 'GET';
      url = next;
    }
  }

  private sendOnce(method: string, url: URL, headers: Record<string, string>, body: Buffer | undefined): Promise<HttpResponse> {
    const isHttps = url.protocol === 'https:';
    const lib = isHttps ? https : http;
    const allHeaders: Record<string, string> = { 'user-agent': this.options.userAgent, ...headers };
    if (body !== undefined) allHeaders['content-length'] = String(body.length);
    else if (method === 'PUT' || method === 'POST' || method === 'PATCH') allHeaders['content-length'] = '0';
    return new Promise((resolve, reject) => {
      const req = lib.request(
        url,
        { method, headers: allHeaders, agent: isHttps ? this.httpsAgent : this.httpAgent, signal: this.options.signal },
        (res) => {
          res.setTimeout(this.options.idleTimeoutMs, () => res.destroy(Object.assign(new Error(`no data for ${this.options.idleTimeoutMs} ms`), { code: 'ETIMEDOUT' })));
          resolve({ status: res.statusCode ?? 0, headers: res.headers, url, body: res, attempts: 1 });
        },
      );
      req.setTimeout(this.options.idleTimeoutMs, () => req.destroy(Object.assign(new Error(`no answer within ${this.options.idleTimeoutMs} ms`), { code: 'ETIMEDOUT' })));
      req.on('error', reject);
      req.end(body);
    });
  }
}

function isRetryableError(error: unknown): boolean {
  if (error instanceof BadInputError) return false;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code !== undefined && RETRYABLE_CODES.has(code);
}

/** A URL for messages: no query (upload state, signed storage URLs carry secrets there). */
export function redact(url: URL): string {
  return `${url.origin}${url.pathname}${url.search ? '?…' : ''}`;
}

/** Reads a response body whole, refusing more than `maxBytes` (checked on Content-Length first). */
export async function readBody(response: HttpResponse, maxBytes: number, what: string): Promise<Buffer> {
  const declared = Number(response.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
    response.body.destroy();
    throw new BadInputError(`${what}: ${declared} bytes, over the ${maxBytes}-byte limit`);
  }
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of response.body) {
    total += (chunk as Buffer).length;
    if (total > maxBytes) {
      response.body.destroy();
      throw new BadInputError(`${what}: more than ${maxBytes} bytes, over the limit`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks, total);
}

/** Discards a body so the connection can be reused (bounded: a huge error body is cut off). */
export async function drain(response: HttpResponse): Promise<void> {
  let total = 0;
  try {
    for await (const chunk of response.body) {
      total += (chunk as Buffer).length;
      if (total > 1024 * 1024) {
        response.body.destroy();
        return;
      }
    }
  } catch {
    // The body is of no interest; a broken connection is dropped by the agent.
  }
}
