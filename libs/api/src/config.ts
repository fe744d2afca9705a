import { env, loadConfig, platformConfigFields } from '@bulkhead/common';
import { isAbsolute } from 'node:path';
import { z } from 'zod';

/** 10 MiB: kube-apiserver's audit webhook batches are far smaller (its batch max is 10 000 events). */
export const DEFAULT_MAX_EVENT_BODY_BYTES = 10 * 1024 * 1024;

/**
 * API configuration, read from environment variables once at start-up. A missing or malformed
 * value stops the process with a message naming the variable (see loadConfig).
 */
export const apiConfigSchema = z.object({
  PORT: env.int(4000, { min: 0, max: 65535 }),
  /** Bind address: loopback unless the deployment says otherwise (the container image sets 0.0.0.0). */
  HOST: z.string().min(1).default('127.0.0.1'),
  ...platformConfigFields,
  /** Serve the GraphiQL IDE on GET /graphql. Off unless asked for: it is a development aid. */
  GRAPHQL_PLAYGROUND: env.bool(false),
  /** Answer introspection queries (clients and code generators need it; some deployments hide it). */
  GRAPHQL_INTROSPECTION: env.bool(true),
  /**
   * Largest request body a plugin HTTP route reads whole (413 above), and the longest line of a
   * streamed one (HostBodyReader).
   */
  BULKHEAD_MAX_EVENT_BODY_BYTES: env.int(DEFAULT_MAX_EVENT_BODY_BYTES, { min: 1024, max: 1024 * 1024 * 1024 }),
  /** How often an open graphql-ws connection re-checks its token (closed with 4401 once revoked or expired). */
  BULKHEAD_WS_TOKEN_RECHECK_MS: env.int(30_000, { min: 100, max: 3_600_000 }),
  /** Largest GraphQL request body (JSON or form), 413 above. */
  BULKHEAD_MAX_GRAPHQL_BODY_BYTES: env.int(1024 * 1024, { min: 1024, max: 64 * 1024 * 1024 }),
  /** Deepest field nesting of one GraphQL operation. */
  BULKHEAD_GRAPHQL_MAX_DEPTH: env.int(15, { min: 2, max: 1000 }),
  /** Aliased fields in one GraphQL document. */
  BULKHEAD_GRAPHQL_MAX_ALIASES: env.int(30, { min: 0, max: 100_000 }),
  /** Cost of one GraphQL operation: a field 1, a JSON field 10, a task result 4000, a page multiplies what is under it by its size. */
  BULKHEAD_GRAPHQL_MAX_COST: env.int(20_000, { min: 100, max: 100_000_000 }),
  /** Query documents kept compiled (graphql-jit) after their second run (up to ~100 KB each); 0 = every query through graphql-js. */
  BULKHEAD_GRAPHQL_COMPILED_QUERIES: env.int(500, { min: 0, max: 10_000 }),
  /** Requests per client per window (BULKHEAD_RATE_LIMIT_WINDOW_SECONDS), counted in Redis; 0 = no limit. */
  BULKHEAD_RATE_LIMIT: env.int(600, { min: 0 }),
  BULKHEAD_RATE_LIMIT_WINDOW_SECONDS: env.int(60, { min: 1, max: 86_400 }),
  /** Queued or running tasks one API token may have (RATE_LIMITED above); 0 = no quota. */
  BULKHEAD_MAX_QUEUED_TASKS_PER_TOKEN: env.int(100, { min: 0 }),
  /** Browser origins allowed to open graphql-ws connections (e.g. https://console.example.com); clients that send no Origin always may. */
  BULKHEAD_ALLOWED_ORIGINS: env.list().pipe(
    z.array(z.string().refine(isOrigin, 'each must be an origin such as https://console.example.com (scheme, host, optional port)').transform((value) => new URL(value).origin)),
  ),
  /** Largest graphql-ws message; a bigger one closes the connection (1009). */
  BULKHEAD_MAX_WS_MESSAGE_BYTES: env.int(64 * 1024, { min: 1024, max: 64 * 1024 * 1024 }),
  /** Subscriptions one graphql-ws connection may hold at once. */
  BULKHEAD_WS_MAX_SUBSCRIPTIONS: env.int(20, { min: 1, max: 10_000 }),
  /**
   * Folder of uploaded files (one 0700 sub-folder per team; files 0600). Default: a folder of this
   * user under the OS temp folder. API and workers must see the same folder.
   */
  BULKHEAD_UPLOAD_DIR: z.string().trim().refine((value) => isAbsolute(value), 'must be an absolute path').optional(),
  /** The web console's build (index.html and assets/) served at `/`; default: dist/apps/console of this installation; `off` serves none. */
  BULKHEAD_CONSOLE_DIR: z.string().trim().refine((value) => value === 'off' || isAbsolute(value), 'must be an absolute path or off').optional(),
  /** Largest single upload (413 the moment it is exceeded). */
  BULKHEAD_MAX_UPLOAD_BYTES: env.int(2 * 1024 * 1024 * 1024, { min: 1024 }),
  /** Bytes one team's unexpired uploads may take together; 0 = no quota. */
  BULKHEAD_UPLOAD_TEAM_QUOTA_BYTES: env.int(20 * 1024 * 1024 * 1024, { min: 0 }),
  /** How long an upload is kept before the sweeper removes it. */
  BULKHEAD_UPLOAD_TTL_HOURS: env.int(24, { min: 1, max: 24 * 365 }),
  /** How often the sweeper looks for expired uploads. */
  BULKHEAD_UPLOAD_SWEEP_SECONDS: env.int(300, { min: 1, max: 86_400 }),
  /**
   * A dedicated bearer credential for Prometheus scrapes of GET /metrics (besides admin API
   * tokens). Unset: only admin tokens may scrape; /metrics is never anonymous.
   */
  BULKHEAD_METRICS_TOKEN: z.string().trim().min(32, 'must be at least 32 characters (e.g. `openssl rand -hex 32`)').regex(/^\S+$/, 'must contain no whitespace').optional(),
  /** How often the schedule runner re-creates missing BullMQ job schedulers from the schedule rows (Redis flushed). */
  BULKHEAD_SCHEDULE_RECONCILE_SECONDS: env.int(30, { min: 1, max: 3_600 }),
  /** Put stack traces and the messages of unexpected errors (SQL, paths) in API responses. Debugging only. */
  BULKHEAD_DEBUG_ERRORS: env.bool(false),
});

function isOrigin(value: string): boolean {
  try {
    const url = new URL(value);
    return ['http:', 'https:'].includes(url.protocol) && url.origin === value.replace(/\/$/, '');
  } catch {
    return false;
  }
}

export type ApiConfig = z.output<typeof apiConfigSchema>;

export function loadApiConfig(source: NodeJS.ProcessEnv = process.env): ApiConfig {
  return loadConfig(apiConfigSchema, source);
}
