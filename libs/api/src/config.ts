import { env, loadConfig } from '@bulkhead/common';
import { z } from 'zod';

/**
 * API configuration, read from environment variables once at start-up. A missing or malformed
 * value stops the process with a message naming the variable (see loadConfig).
 */
export const apiConfigSchema = z.object({
  PORT: env.int(4000, { min: 0, max: 65535 }),
  HOST: z.string().min(1).default('0.0.0.0'),
  DATABASE_URL: env.url('postgres://postgres@127.0.0.1:5432/postgres', ['postgres:', 'postgresql:']),
  DATABASE_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]*$/, 'must be a lower-case SQL identifier')
    .default('public'),
  REDIS_URL: env.url('redis://127.0.0.1:6379', ['redis:', 'rediss:']),
  BULKHEAD_QUEUE_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/, 'must be letters, digits, _ or - (it prefixes Redis keys)')
    .default('bulkhead'),
  /** Serve the GraphiQL IDE on GET /graphql. Off unless asked for: it is a development aid. */
  GRAPHQL_PLAYGROUND: env.bool(false),
  /** Answer introspection queries (clients and code generators need it; some deployments hide it). */
  GRAPHQL_INTROSPECTION: env.bool(true),
  /** npm packages of third-party plugins, comma-separated, loaded beside the built-ins. */
  BULKHEAD_PLUGINS: env.list(),
});

export type ApiConfig = z.output<typeof apiConfigSchema>;

export function loadApiConfig(source: NodeJS.ProcessEnv = process.env): ApiConfig {
  return loadConfig(apiConfigSchema, source);
}
