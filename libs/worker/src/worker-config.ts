import { env, loadConfig, platformConfigFields } from '@bulkhead/common';
import type { PluginKind } from '@bulkhead/plugin-sdk';
import { z } from 'zod';

/**
 * A task's job survives this many dead workers (BullMQ's stalled-job recovery) and fails at the
 * next: a crash is rarely the task's fault (a deploy, an evicted node, a neighbour's OOM), but a
 * task that kills every worker that runs it must stop somewhere. BullMQ's default is 1; the
 * reliability suite (a worker SIGKILLed every 3 s) makes two crashes under one task likely.
 */
export const DEFAULT_MAX_STALLED_COUNT = 3;

/** Every variable the worker reads, validated once at start-up (a bad value names the variable). */
export const workerConfigSchema = z.object({
  ...platformConfigFields,
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
  /**
   * Times a task's job may be recovered after the worker running it died (BullMQ's stalled-job
   * check) before it fails for good. BullMQ's own default, 1, failed tasks that merely met two
   * worker crashes in a row; the count still bounds a task that kills every worker running it.
   */
  WORKER_MAX_STALLED_COUNT: env.int(DEFAULT_MAX_STALLED_COUNT, { min: 0, max: 100 }),
  /** Most tasks one task may queue as follow-ups (TaskPlatform): bounds what hostile task input can make a task queue. */
  BULKHEAD_MAX_CHILD_TASKS: env.int(1000, { min: 0, max: 1_000_000 }),
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
