import type { PluginKind } from '@bulkhead/plugin-sdk';

/**
 * One BullMQ queue per plugin kind. These strings are persisted in Redis (and in running
 * workers' configuration): never rename a value, add new ones.
 */
export enum QueueName {
  Scanner = 'bulkhead.scanner',
  Signer = 'bulkhead.signer',
  Benchmark = 'bulkhead.benchmark',
  Runtime = 'bulkhead.runtime',
}

const QUEUE_BY_KIND: Record<PluginKind, QueueName> = {
  scanner: QueueName.Scanner,
  signer: QueueName.Signer,
  benchmark: QueueName.Benchmark,
  runtime: QueueName.Runtime,
};

export function queueNameForKind(kind: PluginKind): QueueName {
  return QUEUE_BY_KIND[kind];
}

/** Job names: persisted strings, never class names. */
export enum JobName {
  /** Run the plugin task whose row has this id. */
  TaskRun = 'task.run',
}

/** Payload of each job name. Payloads carry ids only: the worker reloads the row. */
export interface JobPayloads {
  [JobName.TaskRun]: { taskId: string };
}

export type JobOf<N extends JobName> = JobPayloads[N];

/**
 * BullMQ refuses `:` in custom job ids (it separates key segments). Percent-encode it (and `%`
 * itself, so the mapping stays one-to-one) — e.g. for ids derived from image digests.
 */
export function escapeJobId(id: string): string {
  return id.replace(/%/g, '%25').replace(/:/g, '%3A');
}

/** The BullMQ job id of a task: the task id, so re-adding the same task is a no-op. */
export function jobIdForTask(taskId: string): string {
  return escapeJobId(taskId);
}
