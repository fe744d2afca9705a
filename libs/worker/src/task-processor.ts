import { isPermanentError, silentLogger, type PluginRegistry, type TaskLogger } from '@bulkhead/plugin-sdk';
import { isFinishedStatus, ResultWriter, type TaskEntity, type TaskStore } from '@bulkhead/persistence';
import { JobName, taskUpdateOf, type TaskEventsPublisher, type TaskJob } from '@bulkhead/queue';
import { runTask } from '@bulkhead/task-runner';
import { UnrecoverableError, WaitingError } from 'bullmq';
import type { DataSource } from 'typeorm';
import { ProgressReporter } from './progress-reporter';

export interface TaskProcessorDeps {
  dataSource: DataSource;
  tasks: TaskStore;
  registry: PluginRegistry;
  events: TaskEventsPublisher;
  logger?: TaskLogger;
  /** True once the host is shutting down: an abort then means "release", not "fail". */
  isShuttingDown: () => boolean;
  progressIntervalMs?: number;
}

export type ProcessOutcome = { status: 'SUCCEEDED' | 'FAILED' } | { skipped: string };

/**
 * Runs the task behind one BullMQ job. The job carries only the task id; the row decides:
 * a missing or finished task is skipped (late or duplicate delivery does nothing).
 */
export class TaskProcessor {
  private readonly logger: TaskLogger;

  constructor(private readonly deps: TaskProcessorDeps) {
    this.logger = deps.logger ?? silentLogger;
  }

  async process(job: TaskJob, token: string | undefined, signal: AbortSignal | undefined): Promise<ProcessOutcome> {
    if (job.name !== JobName.TaskRun) throw new UnrecoverableError(`unknown job name ${JSON.stringify(job.name)}`);
    const { taskId } = job.data;
    const log = this.logger.child({ taskId, jobId: job.id, queue: job.queueName });
    const existing = await this.deps.tasks.get(taskId);
    if (!existing) {
      log.warn('task row not found: job ignored');
      return { skipped: 'missing' };
    }
    if (isFinishedStatus(existing.status)) {
      log.info({ status: existing.status }, 'task already finished: duplicate delivery ignored');
      return { skipped: existing.status };
    }
    const task = await this.deps.tasks.markRunning(taskId);
    if (!task) return { skipped: 'finished meanwhile' };
    log.info({ kind: task.kind, type: task.type, attempt: task.attempts }, 'task started');
    await this.publish(task, log);

    const progress = new ProgressReporter(async (fraction, message) => {
      if (await this.deps.tasks.updateProgress(taskId, fraction, message)) {
        await this.deps.events.publish({
          ...taskUpdateOf(task),
          progress: fraction,
          progressMessage: message ?? task.progressMessage,
          updatedAt: new Date().toISOString(),
        });
      }
    }, this.deps.progressIntervalMs);

    try {
      const outcome = await runTask(
        { taskId, kind: task.kind, type: task.type, input: task.input },
        {
          registry: this.deps.registry,
          emit: new ResultWriter(this.deps.dataSource, taskId, log),
          logger: log,
          signal,
          onProgress: (fraction, message) => progress.report(fraction, message),
        },
      );
      await progress.stop();
      const done = await this.deps.tasks.succeed(taskId, outcome.output ?? null);
      if (done) {
        log.info('task succeeded');
        await this.publish(done, log);
      } else {
        log.warn('task left RUNNING while it ran (cancelled?): result not recorded');
      }
      return { status: 'SUCCEEDED' };
    } catch (error) {
      await progress.stop();
      if (signal?.aborted && this.deps.isShuttingDown()) {
        // Released, not failed: another worker (or this one after restart) runs it again.
        const released = await this.deps.tasks.requeue(taskId);
        if (released) await this.publish(released, log);
        log.warn('worker shutting down: task aborted and released');
        if (token) {
          await job.moveToWait(token);
          throw new WaitingError();
        }
        throw error;
      }
      const message = error instanceof Error ? error.message : String(error);
      const permanent = isPermanentError(error);
      const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      if (permanent || lastAttempt) {
        const failed = await this.deps.tasks.fail(taskId, message);
        if (failed) await this.publish(failed, log);
        log.error({ err: error, permanent }, 'task failed');
        throw permanent ? new UnrecoverableError(message) : error;
      }
      const requeued = await this.deps.tasks.requeue(taskId, message);
      if (requeued) await this.publish(requeued, log);
      log.warn({ err: error, attempt: job.attemptsMade + 1 }, 'task attempt failed: will retry');
      throw error;
    }
  }

  private async publish(task: TaskEntity, log: TaskLogger): Promise<void> {
    // Subscribers are a convenience; the row is the truth. Never fail a task over pub/sub.
    await this.deps.events.publish(taskUpdateOf(task)).catch((error: unknown) => log.warn({ err: error }, 'could not publish task update'));
  }
}
