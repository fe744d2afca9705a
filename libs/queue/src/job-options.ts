import type { DefaultJobOptions } from 'bullmq';

/**
 * Retry, backoff and retention for every job, in one place. Postgres keeps the task history;
 * Redis keeps just enough for BullMQ's de-duplication by job id and for debugging.
 */
export const DEFAULT_JOB_OPTIONS: DefaultJobOptions = {
  attempts: 3,
  backoff: { type: 'exponential', delay: 5_000 },
  removeOnComplete: { age: 24 * 3600, count: 1_000 },
  removeOnFail: { age: 7 * 24 * 3600, count: 5_000 },
};

/** Redis key prefix (BULKHEAD_QUEUE_PREFIX): tests and side-by-side installations isolate by it. */
export const DEFAULT_QUEUE_PREFIX = 'bulkhead';
