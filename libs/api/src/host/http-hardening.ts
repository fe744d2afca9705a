import type { Logger } from '@bulkhead/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Principal } from '@bulkhead/plugin-sdk/api';
import type { Redis } from 'ioredis';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { RedisScript } from './redis-script';

type Next = (error?: unknown) => void;
type Middleware = (request: IncomingMessage, response: ServerResponse, next: Next) => void;

function pathOf(request: IncomingMessage): string {
  const url = request.url ?? '/';
  const end = url.search(/[?#]/);
  return end < 0 ? url : url.slice(0, end);
}

/** JSON for a refused request: GraphQL's error shape on /graphql, `{ error }` on plugin routes. */
function refuse(request: IncomingMessage, response: ServerResponse, status: number, message: string, code: string): void {
  const graphql = pathOf(request).replace(/\/$/, '') === '/graphql';
  const body = graphql ? { errors: [{ message, extensions: { code } }] } : { error: message, code };
  response.statusCode = status;
  response.setHeader('content-type', 'application/json; charset=utf-8');
  response.end(JSON.stringify(body));
}

/** Standard headers for an API that serves no pages to frame or sniff; no X-Powered-By. */
export function securityHeaders(app: NestExpressApplication): void {
  app.disable('x-powered-by');
  // No ETag computed over every answer: API answers are per token and rarely repeat, so hashing each
  // body (a findings page: ~5% of its CPU) buys no 304s; the console's static files set their own.
  app.set('etag', false);
  app.use(((_request, response, next) => {
    response.setHeader('X-Content-Type-Options', 'nosniff');
    response.setHeader('X-Frame-Options', 'DENY');
    response.setHeader('Content-Security-Policy', "frame-ancestors 'none'");
    response.setHeader('Referrer-Policy', 'no-referrer');
    response.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
    next();
  }) satisfies Middleware);
}

/** Content types a browser may send cross-site without a CORS preflight ("simple" requests). */
const SIMPLE_CONTENT_TYPES = new Set(['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data', '']);

/**
 * Plain HTTP routes (every route but /graphql, which has its own parsers) take no body a web page
 * could send cross-site without a preflight: POST, PUT, PATCH and DELETE with a simple content type
 * (text/plain, form encodings, or none) are refused 415 before the route runs.
 */
export function refuseSimpleCrossSiteBodies(app: NestExpressApplication): void {
  app.use(((request, response, next) => {
    const method = request.method ?? 'GET';
    if (['GET', 'HEAD', 'OPTIONS'].includes(method) || pathOf(request).replace(/\/$/, '') === '/graphql') return next();
    const type = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
    if (!SIMPLE_CONTENT_TYPES.has(type)) return next();
    response.setHeader('connection', 'close');
    refuse(request, response, 415, `content type ${type ? `"${type}"` : '(none)'} is not accepted here; send the documented one (e.g. application/json)`, 'UNSUPPORTED_MEDIA_TYPE');
    request.resume();
  }) satisfies Middleware);
}

export interface RateLimitSettings {
  /** Requests per window per client; 0 turns limiting off. */
  requests: number;
  windowSeconds: number;
  /** Redis key prefix (the installation's BULKHEAD_QUEUE_PREFIX), so replicas share counters. */
  prefix: string;
}

/**
 * Who a request counts against: its API token (the principal the authentication middleware
 * found), else its remote address (requests without a valid token).
 */
export function rateLimitKey(request: IncomingMessage & { principal?: Principal }): string {
  return request.principal ? `token:${request.principal.tokenId}` : `ip:${request.socket.remoteAddress ?? 'unknown'}`;
}

/** How long the limiter waits for Redis before treating it as unavailable. */
export const LIMITER_TIMEOUT_MS = 500;

/** Set on a request the limiter could not count (Redis did not answer): mutations are then refused. */
export interface LimiterMarkedRequest extends IncomingMessage {
  rateLimiterUnavailable?: boolean;
}

/** The message of a request refused because the limiter could not count it. */
export const LIMITER_UNAVAILABLE = 'rate limiter unavailable (Redis did not answer): changes are refused until it answers again; retry shortly';

class LimiterTimeout extends Error {}

/**
 * A fixed-window counter per client in Redis (INCR + PEXPIRE), shared by every API replica.
 * Over the limit: 429 with Retry-After (RATE_LIMITED).
 *
 * If Redis does not answer (an error, or no answer within LIMITER_TIMEOUT_MS), the outcome
 * depends on what the request can do (ARCHITECTURE section 8): reads (GraphQL queries and
 * subscriptions, GET routes) pass, because refusing them would turn a Redis outage into a
 * read outage while they change nothing; changes (GraphQL mutations, ingest and upload
 * routes) are refused 503 RATE_LIMITED "limiter unavailable", because unlimited writes are what
 * the limiter exists to stop (task floods, forged events) and task submission needs Redis anyway.
 * For /graphql the operation type is only known after parsing, so the middleware marks the
 * request and the GraphQL access plugin refuses its mutations.
 */
/** Counts a request (ARGV[2] requests: a batch of N tasks counts N) in its window's key, which expires with the window: one command per request. */
const COUNT_REQUEST = new RedisScript(`
local count = redis.call('INCRBY', KEYS[1], ARGV[2])
if count == tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return count
`);

export class RedisRateLimiter {
  private lastWarning = 0;

  constructor(
    private readonly redis: Redis,
    private readonly settings: RateLimitSettings,
    private readonly logger: Logger,
  ) {}

  get enabled(): boolean {
    return this.settings.requests > 0;
  }

  /**
   * Counts `weight` requests (default 1; submitTasks adds one per task beyond its request's own):
   * seconds until the window ends when over the limit, else undefined; throws when Redis does not answer in time.
   */
  async take(key: string, weight = 1): Promise<number | undefined> {
    const windowMs = this.settings.windowSeconds * 1000;
    const window = Math.floor(Date.now() / windowMs);
    const redisKey = `${this.settings.prefix}:ratelimit:${key}:${window}`;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new LimiterTimeout(`no answer within ${LIMITER_TIMEOUT_MS} ms`)), LIMITER_TIMEOUT_MS);
    });
    const count = Number(await Promise.race([COUNT_REQUEST.run(this.redis, [redisKey], [windowMs, weight]), timeout]).finally(() => clearTimeout(timer)));
    if (count <= this.settings.requests) return undefined;
    return Math.max(1, Math.ceil(((window + 1) * windowMs - Date.now()) / 1000));
  }

  /**
   * For graphql-ws connection attempts (which carry subscriptions only, i.e. reads): seconds to
   * wait when over the limit, else undefined; a Redis that does not answer lets it through.
   */
  async admits(key: string): Promise<number | undefined> {
    if (!this.enabled) return undefined;
    try {
      return await this.take(key);
    } catch (error) {
      this.warnUnavailable(error, 'graphql-ws connection let through');
      return undefined;
    }
  }

  /** Express middleware; health probes are not counted. */
  middleware(): Middleware {
    return (request: LimiterMarkedRequest, response, next) => {
      if (!this.enabled || ['/healthz', '/readyz'].includes(pathOf(request))) return next();
      this.take(rateLimitKey(request)).then(
        (retryAfter) => {
          if (retryAfter === undefined) return next();
          response.setHeader('Retry-After', String(retryAfter));
          refuse(request, response, 429, `rate limit of ${this.settings.requests} requests per ${this.settings.windowSeconds} s exceeded; retry in ${retryAfter} s (BULKHEAD_RATE_LIMIT)`, 'RATE_LIMITED');
        },
        (error: unknown) => {
          const method = request.method ?? 'GET';
          const reads = ['GET', 'HEAD', 'OPTIONS'].includes(method);
          if (reads || pathOf(request).replace(/\/$/, '') === '/graphql') {
            this.warnUnavailable(error, reads ? 'read let through' : 'GraphQL request let through; its mutations are refused');
            request.rateLimiterUnavailable = true;
            return next();
          }
          this.warnUnavailable(error, 'change refused');
          response.setHeader('Retry-After', '5');
          response.setHeader('connection', 'close');
          refuse(request, response, 503, LIMITER_UNAVAILABLE, 'RATE_LIMITED');
          request.resume();
        },
      );
    };
  }

  /** One warning every 10 s at most: an outage must not flood the log. */
  private warnUnavailable(error: unknown, outcome: string): void {
    if (Date.now() - this.lastWarning < 10_000) return;
    this.lastWarning = Date.now();
    this.logger.warn({ err: (error as Error).message, outcome }, 'rate limiter: redis did not answer');
  }
}

/**
 * Origin check for WebSocket upgrades (graphql-ws): a browser always sends Origin, so a page on
 * another site is refused (403) before the handshake; clients that send none (CLI, scripts,
 * other services) are not browsers and pass. Allowed: only those in BULKHEAD_ALLOWED_ORIGINS
 * (not "the same host", which a DNS-rebinding page can fake). Wraps the upgrade listeners Nest
 * registered.
 */
export function checkWebSocketOrigin(server: Server, allowedOrigins: readonly string[], logger: Logger): void {
  const listeners = server.listeners('upgrade') as ((request: IncomingMessage, socket: Duplex, head: Buffer) => void)[];
  server.removeAllListeners('upgrade');
  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const origin = request.headers.origin;
    if (origin !== undefined && !originAllowed(origin, allowedOrigins)) {
      logger.warn({ origin }, 'websocket upgrade from a foreign origin refused');
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Type: text/plain\r\n\r\norigin not allowed (BULKHEAD_ALLOWED_ORIGINS)\n');
      return;
    }
    for (const listener of listeners) listener(request, socket, head);
  });
}

export function originAllowed(origin: string, allowed: readonly string[]): boolean {
  try {
    return allowed.includes(new URL(origin).origin);
  } catch {
    return false;
  }
}

/**
 * Last error handler: body parser failures (malformed or nested JSON, a body over the limit) get
 * their 4xx status and a one-line JSON message, never Express's HTML page with a stack trace.
 */
export function jsonErrorHandler(logger: Logger): (error: unknown, request: IncomingMessage, response: ServerResponse, next: Next) => void {
  return (error, request, response, next) => {
    if (response.headersSent) return next(error);
    const status = (error as { status?: number }).status ?? 500;
    if (status >= 500) logger.error({ err: (error as Error).message }, 'http request failed');
    const message = status >= 500 ? 'Internal server error' : (error as { expose?: boolean }).expose === false ? 'Bad request' : (error as Error).message;
    refuse(request, response, status, message, status === 413 ? 'PAYLOAD_TOO_LARGE' : status >= 500 ? 'INTERNAL_SERVER_ERROR' : 'BAD_REQUEST');
  };
}

/**
 * The largest graphql-ws message (ws `maxPayload`; bigger closes the socket with 1009). Nest
 * creates the WebSocketServer itself without a way to pass ws options, so the limit is set on
 * its options object, which ws reads at every upgrade. If a Nest release moves it, this logs a
 * warning (and the hardening test of the limit fails) instead of stopping the API.
 */
export function limitWebSocketMessages(graphqlAdapter: unknown, maxPayloadBytes: number, logger: Logger): void {
  const wss = (graphqlAdapter as { _subscriptionService?: { wss?: { options?: { maxPayload?: number } } } } | undefined)?._subscriptionService?.wss;
  if (!wss?.options) {
    logger.warn('graphql-ws message size limit not applied: the subscription server was not found');
    return;
  }
  wss.options.maxPayload = maxPayloadBytes;
}
