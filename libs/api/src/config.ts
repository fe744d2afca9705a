import { env, loadConfig, platformConfigFields } from '@bulkhead/common';
import { z } from 'zod';

/** 10 MiB: kube-apiserver's audit webhook batches are far smaller (its batch max is 10 000 events). */
export const DEFAULT_MAX_EVENT_BODY_BYTES = 10 * 1024 * 1024;

/**
 * API configuration, read from environment variables once at start-up. A missing or malformed
 * value stops the process with a message naming the variable (see loadConfig).
 */
export const apiConfigSchema = z.object({
  PORT: env.int(4000, { min: 0, max: 65535 }),
  HOST: z.string().min(1).default('0.0.0.0'),
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
});

export type ApiConfig = z.output<typeof apiConfigSchema>;

export function loadApiConfig(source: NodeJS.ProcessEnv = process.env): ApiConfig {
  return loadConfig(apiConfigSchema, source);
}
