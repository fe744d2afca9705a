import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from '@bulkhead/common';
import { isFinishedStatus, TaskStateError, TaskStatus, TaskStore, type TaskEntity } from '@bulkhead/persistence';
import { PROBE_LABEL, PROBE_TASK, probeLabelSchema, TaskEventsSubscriber, TaskSubmitter, type ProbeOutput, type TaskUpdate } from '@bulkhead/queue';
import { badUserInput } from '../graphql/errors';
import { toTaskModel } from '../tasks/task.mapper';
import { TaskService } from '../tasks/task.service';
import { API_LOGGER, TASK_EVENTS_SUBSCRIBER, TASK_STORE, TASK_SUBMITTER } from '../tokens';
import type { ProbeHop, ProbeResult } from './probe.model';

/** How long a probe waits for its task to succeed before it gives up (and cancels the task). */
export const DEFAULT_PROBE_TIMEOUT_MS = 10_000;
export const MAX_PROBE_TIMEOUT_MS = 60_000;

/**
 * The canary: one no-op task (PROBE_TASK) through the whole path a real task takes (submitter
 * → Postgres → BullMQ → worker → Postgres → Redis pub/sub → this API), timing each hop. It
 * subscribes to the task's updates before the job is added, so the end is never missed, and
 * cancels its task when it gives up, so probes against a stopped worker do not pile up.
 */
@Injectable()
export class ProbeService {
  constructor(
    @Inject(TASK_SUBMITTER) private readonly submitter: TaskSubmitter,
    @Inject(TASK_STORE) private readonly tasks: TaskStore,
    @Inject(TASK_EVENTS_SUBSCRIBER) private readonly subscriber: TaskEventsSubscriber,
    private readonly taskService: TaskService,
    @Inject(API_LOGGER) private readonly logger: Logger,
  ) {}

  async probe(label: string, timeoutMs: number = DEFAULT_PROBE_TIMEOUT_MS): Promise<ProbeResult> {
    const parsed = probeLabelSchema.safeParse(label);
    if (!parsed.success) throw badUserInput(`label: ${parsed.error.issues[0]?.message ?? 'invalid'}`, { field: 'label' });
    if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > MAX_PROBE_TIMEOUT_MS) {
      throw badUserInput(`timeoutMs: ${timeoutMs} is not a whole number of milliseconds from 1 to ${MAX_PROBE_TIMEOUT_MS}`, { field: 'timeoutMs' });
    }
    const startedAt = Date.now();
    const deadline = AbortSignal.timeout(timeoutMs);
    let updates: AsyncIterableIterator<TaskUpdate> | undefined;
    const submitted = await this.submitter.submit({
      ...PROBE_TASK,
      input: { label },
      labels: { [PROBE_LABEL]: label },
      dedup: false,
      onRecorded: async (task) => {
        updates = await this.subscriber.updates(task.id, deadline);
      },
    });
    try {
      const end = updates ? await lastUpdate(updates) : undefined;
      const notifiedAt = Date.now();
      const row = (await this.tasks.get(submitted.task.id)) ?? submitted.task;
      if (row.status === TaskStatus.SUCCEEDED) return this.result(row, label, startedAt, submitted.timings, notifiedAt, end ? null : 'the SUCCEEDED update was not heard');
      if (isFinishedStatus(row.status)) return this.result(row, label, startedAt, submitted.timings, notifiedAt, `the probe task ended ${row.status}${row.error ? `: ${row.error}` : ''}`);
      const cancelled = await this.cancel(row);
      return this.result(cancelled, label, startedAt, submitted.timings, notifiedAt, `no worker finished the probe task within ${timeoutMs} ms (is a worker serving the ${PROBE_TASK.kind} queue?): the task was cancelled`);
    } finally {
      await updates?.return?.();
    }
  }

  private async cancel(row: TaskEntity): Promise<TaskEntity> {
    try {
      await this.taskService.cancel(row.id);
    } catch (error) {
      // It finished meanwhile: the row says how.
      if (!(error instanceof TaskStateError)) this.logger.warn({ taskId: row.id, err: (error as Error).message }, 'could not cancel a timed-out probe task');
    }
    return (await this.tasks.get(row.id)) ?? row;
  }

  private result(
    row: TaskEntity,
    label: string,
    startedAt: number,
    timings: { recordedAt: number; enqueueStartedAt?: number; enqueuedAt?: number },
    notifiedAt: number,
    error: string | null,
  ): ProbeResult {
    const succeeded = row.status === TaskStatus.SUCCEEDED && error === null;
    const hops: ProbeHop[] = [{ name: 'submit', ms: timings.recordedAt - startedAt }];
    if (timings.enqueueStartedAt !== undefined) hops.push({ name: 'subscribe', ms: timings.enqueueStartedAt - timings.recordedAt });
    if (timings.enqueueStartedAt !== undefined && timings.enqueuedAt !== undefined) hops.push({ name: 'enqueue', ms: timings.enqueuedAt - timings.enqueueStartedAt });
    const ranAt = (row.result as Partial<ProbeOutput> | null)?.ranAt;
    if (typeof ranAt === 'number' && timings.enqueuedAt !== undefined) {
      hops.push({ name: 'pickup', ms: ranAt - timings.enqueuedAt });
      if (row.status === TaskStatus.SUCCEEDED && row.finishedAt) {
        hops.push({ name: 'finish', ms: row.finishedAt.getTime() - ranAt });
        if (succeeded) hops.push({ name: 'notify', ms: notifiedAt - row.finishedAt.getTime() });
      }
    }
    return { task: toTaskModel(row), label, status: row.status, succeeded, totalMs: notifiedAt - startedAt, hops, error };
  }
}

/** The task's last update: its finished one, or the last before the deadline ended the stream. */
async function lastUpdate(updates: AsyncIterableIterator<TaskUpdate>): Promise<TaskUpdate | undefined> {
  let last: TaskUpdate | undefined;
  for (;;) {
    const next = await updates.next();
    if (next.done) return last && isFinishedStatus(last.status) ? last : undefined;
    last = next.value;
  }
}
