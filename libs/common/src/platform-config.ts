import { z } from 'zod';
import { env } from './config';

/**
 * The variables every platform process (API, worker, `bulkhead serve`, `bulkhead migrate`)
 * reads to find Postgres, Redis and plugins, defined once so their defaults cannot drift.
 * The defaults are the local services of a development machine; Bulkhead's tables go in their
 * own schema so they never mix with anything else in that database.
 */
export const platformConfigFields = {
  DATABASE_URL: env.url('postgres://postgres@127.0.0.1:5432/postgres', ['postgres:', 'postgresql:']),
  DATABASE_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lower-case Postgres identifier')
    .default('bulkhead'),
  REDIS_URL: env.url('redis://127.0.0.1:6379', ['redis:', 'rediss:']),
  /** Prefixes every Redis key (queues, pub/sub channels), so several installations can share one Redis. */
  BULKHEAD_QUEUE_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/, 'must be letters, digits, _ or - (it prefixes Redis keys)')
    .default('bulkhead'),
  /** npm packages (or absolute paths) of third-party plugins, comma-separated, loaded beside the built-ins. */
  BULKHEAD_PLUGINS: env.list(),
};
