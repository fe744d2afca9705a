import { silentLogger, type TaskLogger } from '@bulkhead/plugin-sdk';
import { UNFINISHED_TASK_STATUSES, type TaskEntity, type TaskStore } from '@bulkhead/persistence';
import type { TaskJob, TaskQueues } from './task-queues';

/** BullMQ's failedReason for a job recovered from dead workers more than maxStalledCount times. */
export const BULLMQ_STALLED_REASON = 'job stalled more than allowable limit';

/**
 * A task started this many times (its row's `attempts`) whose job BullMQ then failed as stalled
 * is failed for good: each start that ends in a dead worker counts, so a task that kills every
 * worker running it (out of memory, a crash in native code) stops here. Deaths that are not the
 * task's (a deploy, a drained node, the reliability suite's SIGKILL every 3 s) rarely reach it;
 * BullMQ's own bound (maxStalledCount) also counts deaths before the task even started.
 */
export const MAX_TASK_STARTS = 8;

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
 * Jobs that are active on a dead worker are BullMQ's stalled-job checker's to recover. A flow's
 * parent in `waiting-children` (or `delayed`, polling unlinked children) is waiting, not lost.
 */
export class Reconciler {
  private readonly logger: TaskLogger;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<ReconcileReport> | undefined;

  constructor(
    private readonly deps: {
      tasks: TaskStore;
      queues: TaskQueues;
      logger?: TaskLogger;
      batchSize?: number;
      /** Starts (the row's `attempts`) after which a task whose workers keep dying is failed (default MAX_TASK_STARTS). */
      maxTaskStarts?: number;
    },
  ) {
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

  /** Releases a waiting parent whose children have all finished; true when it moved. */
  private async wakeParent(task: TaskEntity, job: TaskJob): Promise<boolean> {
    const log = this.logger.child({ taskId: task.id });
    const children = await this.deps.tasks.list({ parentTaskId: task.id }, { first: 500 });
    for (const { node: child } of children.edges) {
      const childJob = await this.deps.queues.getJob(child);
      await childJob?.removeChildDependency().catch(() => false);
    }
    if ((await job.getState()) !== 'waiting-children') {
      log.info('waiting for children that have all finished: released');
      return true;
    }
    try {
      await job.remove({ removeChildren: false });
    } catch (error) {
      log.warn({ err: error }, 'could not release a parent waiting for finished children; next pass tries again');
      return false;
    }
    await this.deps.queues.enqueue(task);
    log.info('waiting for children that have all finished: re-enqueued');
    return true;
  }

  /**
   * Whether the task's row is still unfinished now. A pass lists a batch of rows first and looks
   * at their jobs after; meanwhile a worker may have finished a task and BullMQ completed (or
   * removed) its job. Read after the job, the row tells a lost job from a finished task: a worker
   * writes the row before it lets BullMQ complete the job. Without this, a pass under load
   * re-enqueued every task finished since its listing (the reliability suite counted 106 of 300
   * tasks delivered twice), each a redundant job for a worker to take and skip.
   */
  private async stillUnfinished(task: TaskEntity): Promise<boolean> {
    const row = await this.deps.tasks.get(task.id);
    return row !== null && UNFINISHED_TASK_STATUSES.includes(row.status);
  }

  private async reconcileTask(task: TaskEntity): Promise<'ok' | 'enqueued' | 'failed'> {
    const log = this.logger.child({ taskId: task.id });
    const job = await this.deps.queues.getJob(task);
    if (!job) {
      if (!(await this.stillUnfinished(task))) return 'ok';
      await this.deps.queues.enqueue(task);
      log.info({ status: task.status }, 'job missing from Redis: re-enqueued');
      return 'enqueued';
    }
    const state = await job.getState();
    switch (state) {
      case 'failed': {
        const reason = job.failedReason || 'job failed in the queue';
        const row = reason === BULLMQ_STALLED_REASON ? await this.deps.tasks.get(task.id) : null;
        if (row && UNFINISHED_TASK_STATUSES.includes(row.status)) {
          // BullMQ gave up after the workers running the job died (or stopped renewing its lock)
          // several times: that is the workers' failure, not the task's, unless the task itself
          // kills them. The row's starts tell which: below the bound, the task runs again.
          const starts = row.attempts;
          const limit = this.deps.maxTaskStarts ?? MAX_TASK_STARTS;
          if (starts < limit) {
            try {
              await job.remove();
            } catch (error) {
              log.warn({ err: error }, 'could not remove a job failed as stalled; next pass tries again');
              return 'ok';
            }
            await this.deps.queues.enqueue(task);
            log.warn({ starts, limit }, 'job failed as stalled after worker deaths: re-enqueued');
            return 'enqueued';
          }
          if (await this.deps.tasks.fail(task.id, `the task was started ${starts} times and every worker running it died or stalled (${reason})`)) {
            log.warn({ starts }, 'job stalled on every start: marked FAILED');
            return 'failed';
          }
          return 'ok';
        }
        // BullMQ gave up without the worker recording it.
        if (await this.deps.tasks.fail(task.id, reason)) {
          log.warn({ reason }, 'job failed without the task being recorded: marked FAILED');
          return 'failed';
        }
        return 'ok';
      }
      case 'completed':
      case 'unknown': {
        // The row says unfinished but the job is over: run it again (the worker re-checks the row).
        if (!(await this.stillUnfinished(task))) return 'ok';
        await job.remove().catch(() => undefined);
        await this.deps.queues.enqueue(task);
        log.info({ state }, 'job finished but task unfinished: re-enqueued');
        return 'enqueued';
      }
      case 'waiting-children': {
        // A flow's parent waits for its children without a worker: that is not a lost job, as
        // long as a child is still unfinished. When none is (a child's row ended while its job
        // lives on, e.g. cancelled while running, or the job was removed without releasing the
        // parent), nothing might ever wake it: the children's jobs let go of it (the last one
        // moves it to wait), and failing that it is enqueued anew. The worker re-reads the rows.
        const pending = await this.deps.tasks.count({ parentTaskId: task.id, status: UNFINISHED_TASK_STATUSES });
        if (pending > 0) return 'ok';
        return (await this.wakeParent(task, job)) ? 'enqueued' : 'ok';
      }
      default:
        return 'ok';
    }
  }
}
