import { env, loadConfig } from '@bulkhead/common';
import type { PluginKind } from '@bulkhead/plugin-sdk';
import { z } from 'zod';

/** Every variable the worker reads, validated once at start-up (a bad value names the variable). */
export const workerConfigSchema = z.object({
  DATABASE_URL: env.url('postgres://postgres@127.0.0.1:5432/bulkhead', ['postgres:', 'postgresql:']),
  DATABASE_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lower-case Postgres identifier')
    .default('public'),
  REDIS_URL: env.url('redis://127.0.0.1:6379', ['redis:', 'rediss:']),
  BULKHEAD_QUEUE_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, `_`, `.` and `-` only')
    .default('bulkhead'),
  /** npm packages (or absolute paths) of third-party plugins, comma-separated. */
  BULKHEAD_PLUGINS: env.list(),
  WORKER_CONCURRENCY_SCANNER: env.int(2, { min: 1, max: 64 }),
  WORKER_CONCURRENCY_SIGNER: env.int(4, { min: 1, max: 64 }),
  WORKER_CONCURRENCY_BENCHMARK: env.int(2, { min: 1, max: 64 }),
  WORKER_CONCURRENCY_RUNTIME: env.int(4, { min: 1, max: 64 }),
  /** How long a running task may take to finish at shutdown before it is aborted and released. */
  WORKER_SHUTDOWN_GRACE_MS: env.int(30_000, { min: 0 }),
  WORKER_RECONCILE_INTERVAL_MS: env.int(60_000, { min: 1_000 }),
  /** BullMQ job lock; a crashed worker's job is redelivered after it expires. */
  WORKER_LOCK_DURATION_MS: env.int(30_000, { min: 1_000 }),
  WORKER_STALLED_INTERVAL_MS: env.int(30_000, { min: 500 }),
  /** Run pending database migrations at start-up (serialised by an advisory lock). */
  WORKER_MIGRATE: env.bool(true),
});

export type WorkerConfig = z.output<typeof workerConfigSchema>;

export function loadWorkerConfig(source: NodeJS.ProcessEnv = process.env): WorkerConfig {
  return loadConfig(workerConfigSchema, source);
}

export function concurrencyFromConfig(config: WorkerConfig): Record<PluginKind, number> {
  return {
    scanner: config.WORKER_CONCURRENCY_SCANNER,
    signer: config.WORKER_CONCURRENCY_SIGNER,
    benchmark: config.WORKER_CONCURRENCY_BENCHMARK,
    runtime: config.WORKER_CONCURRENCY_RUNTIME,
  };
}
