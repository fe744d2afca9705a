import { env, loadConfig, platformConfigFields } from '@bulkhead/common';
import { z } from 'zod';
import { runtimeConfigFields } from './runtime-ingest/runtime-config';

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
  ...runtimeConfigFields,
});

export type ApiConfig = z.output<typeof apiConfigSchema>;

export function loadApiConfig(source: NodeJS.ProcessEnv = process.env): ApiConfig {
  return loadConfig(apiConfigSchema, source);
}
