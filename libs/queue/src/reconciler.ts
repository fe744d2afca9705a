import { silentLogger, type TaskLogger } from '@bulkhead/plugin-sdk';
import type { TaskEntity, TaskStore } from '@bulkhead/persistence';
import type { TaskQueues } from './task-queues';

export interface ReconcileReport {
  /** Unfinished tasks looked at. */
  checked: number;
  /** Jobs (re-)added because Redis had none or a stale one. */
  enqueued: number;
  /** Tasks marked FAILED because BullMQ gave up on their job without the worker recording it. */
  failed: number;
}

/**
 * Postgres is the source of truth, Redis the transport. The reconciler makes Redis agree:
 * every QUEUED/RUNNING task must have a live job. A job gone (FLUSHALL, Redis restart, a crash
 * between row and job) is re-added; a job that BullMQ finished while the row still says
 * unfinished is settled. Idempotent: job id = task id, and the worker skips finished tasks.
 * Jobs that are active on a dead worker are BullMQ's stalled-job checker's to recover.
 */
export class Reconciler {
  private readonly logger: TaskLogger;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<ReconcileReport> | undefined;

  constructor(private readonly deps: { tasks: TaskStore; queues: TaskQueues; logger?: TaskLogger; batchSize?: number }) {
    this.logger = deps.logger ?? silentLogger;
  }

  /** One pass over all unfinished tasks. Concurrent calls share the pass in progress. */
  reconcile(): Promise<ReconcileReport> {
    this.running ??= this.pass().finally(() => (this.running = undefined));
    return this.running;
  }

  /** Runs a pass now and then every `intervalMs`; failures are logged, never thrown. */
  start(intervalMs: number): Promise<ReconcileReport | undefined> {
    const tick = () =>
      this.reconcile().catch((error: unknown) => {
        this.logger.error({ err: error }, 'reconcile pass failed');
        return undefined;
      });
    this.timer = setInterval(() => void tick(), intervalMs);
    this.timer.unref();
    return tick();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
  }

  private async pass(): Promise<ReconcileReport> {
    const report: ReconcileReport = { checked: 0, enqueued: 0, failed: 0 };
    let after: { createdAt: Date; id: string } | undefined;
    for (;;) {
      const batch = await this.deps.tasks.listUnfinished({ limit: this.deps.batchSize ?? 500, after });
      for (const task of batch) {
        report.checked++;
        const outcome = await this.reconcileTask(task);
        if (outcome === 'enqueued') report.enqueued++;
        if (outcome === 'failed') report.failed++;
      }
      const last = batch.at(-1);
      if (!last) break;
      after = { createdAt: last.createdAt, id: last.id };
    }
    if (report.enqueued || report.failed) this.logger.info({ ...report }, 'reconciled tasks with the queues');
    return report;
  }

  private async reconcileTask(task: TaskEntity): Promise<'ok' | 'enqueued' | 'failed'> {
    const log = this.logger.child({ taskId: task.id });
    const job = await this.deps.queues.getJob(task);
    if (!job) {
      await this.deps.queues.enqueue(task);
      log.info({ status: task.status }, 'job missing from Redis: re-enqueued');
      return 'enqueued';
    }
    const state = await job.getState();
    switch (state) {
      case 'failed': {
        // BullMQ gave up (e.g. stalled too often after worker crashes) without the worker recording it.
        const reason = job.failedReason || 'job failed in the queue';
        if (await this.deps.tasks.fail(task.id, reason)) {
          log.warn({ reason }, 'job failed without the task being recorded: marked FAILED');
          return 'failed';
        }
        return 'ok';
      }
      case 'completed':
      case 'unknown': {
        // The row says unfinished but the job is over: run it again (the worker re-checks the row).
        await job.remove().catch(() => undefined);
        await this.deps.queues.enqueue(task);
        log.info({ state }, 'job finished but task unfinished: re-enqueued');
        return 'enqueued';
      }
      default:
        return 'ok';
    }
  }
}
