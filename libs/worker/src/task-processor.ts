import { silentLogger, type ChildTaskOutcome, type PluginRegistry, type TaskLogger } from '@bulkhead/plugin-sdk';
import { ALL_TEAMS, isFinishedStatus, ResultWriter, storedFindingOf, TASK_LOG_LEVELS, TaskLogStore, TaskStatus, type TaskEntity, type TaskStore } from '@bulkhead/persistence';
import { JobName, taskUpdateOf, type FindingsPublisher, type NotificationsPublisher, type ServerInputPolicy, type TaskEventsPublisher, type TaskJob, type TaskQueues } from '@bulkhead/queue';
import type { StoredFinding } from '@bulkhead/plugin-sdk/api';
import { runTask } from '@bulkhead/plugin-sdk';
import { DelayedError, UnrecoverableError, WaitingChildrenError, WaitingError } from 'bullmq';
import type { DataSource } from 'typeorm';
import { isPermanentFailure } from './permanent-failure';
import { ProgressReporter } from './progress-reporter';
import { TaskLogBuffer, teeTaskLogger } from './task-log';
import { TaskFlow } from './task-flow';
import { DEFAULT_MAX_CHILD_TASKS, WorkerTaskPlatform } from './task-platform';

export interface TaskProcessorDeps {
  /** The server's input policy, re-checked just before each task runs (paths may have changed since submit). */
  inputs: ServerInputPolicy;
  dataSource: DataSource;
  tasks: TaskStore;
  /** Where follow-up tasks (TaskPlatform.submitTask) are queued. */
  queues: TaskQueues;
  /** Most tasks one task may queue (BULKHEAD_MAX_CHILD_TASKS; default 1000). */
  maxChildTasks?: number;
  registry: PluginRegistry;
  events: TaskEventsPublisher;
  /** Announces every finding a task inserted, reopened or resolved on the findings channel (API FindingEvents). */
  findings?: FindingsPublisher;
  /** Where TaskPlatform.notify announces plugins' notifications (the API's dispatchers listen). */
  notifications?: NotificationsPublisher;
  logger?: TaskLogger;
  /** True once the host is shutting down: an abort then means "release", not "fail". */
  isShuttingDown: () => boolean;
  progressIntervalMs?: number;
  /** How often a flow's parent whose children are not linked to its job re-reads their rows (default 5 s). */
  flowPollMs?: number;
}

export type ProcessOutcome = { status: 'SUCCEEDED' | 'FAILED' | 'CANCELLED' } | { skipped: string };

/** The abort reason of a task cancelled while it ran. */
export class TaskCancelledError extends Error {
  override readonly name = 'TaskCancelledError';
  constructor(readonly taskId: string) {
    super(`task ${taskId} was cancelled`);
  }
}

/**
 * Runs the task behind one BullMQ job. The job carries only the task id; the row decides:
 * a missing or finished task is skipped (late or duplicate delivery does nothing).
 */
export class TaskProcessor {
  private readonly logger: TaskLogger;
  private readonly flow: TaskFlow;
  /** The abort controller of each task this process is running, by task id. */
  private readonly running = new Map<string, AbortController>();
  /** `kind/type` of every flow parent the registry knows: never claimed before their children finished. */
  private readonly flowParents: string[];
  /** Where tasks' log lines are kept (task_log), written under each task row whatever its team. */
  private readonly taskLogs: TaskLogStore;

  constructor(private readonly deps: TaskProcessorDeps) {
    this.logger = deps.logger ?? silentLogger;
    this.taskLogs = new TaskLogStore(deps.dataSource, ALL_TEAMS);
    this.flowParents = deps.registry
      .list()
      .flatMap((plugin) => plugin.tasks.filter((definition) => TaskFlow.isParent(definition)).map((definition) => `${plugin.manifest.kind}/${definition.type}`));
    this.flow = new TaskFlow({
      dataSource: deps.dataSource,
      registry: deps.registry,
      queues: deps.queues,
      inputs: deps.inputs,
      logger: this.logger,
      ...(deps.flowPollMs !== undefined ? { pollMs: deps.flowPollMs } : {}),
    });
  }

  /** Task ids running here now. */
  get runningTaskIds(): string[] {
    return [...this.running.keys()];
  }

  /**
   * Aborts the task if this process runs it (its plugin sees `ctx.signal` abort with a
   * TaskCancelledError); returns whether it did. The row is already CANCELLED: the canceller's
   * conditional UPDATE decided, this only stops the work.
   */
  cancel(taskId: string): boolean {
    const controller = this.running.get(taskId);
    if (!controller || controller.signal.aborted) return false;
    this.logger.info({ taskId }, 'task cancelled while running: aborting it');
    controller.abort(new TaskCancelledError(taskId));
    return true;
  }

  async process(job: TaskJob, token: string | undefined, jobSignal: AbortSignal | undefined): Promise<ProcessOutcome> {
    if (job.name !== JobName.TaskRun) throw new UnrecoverableError(`unknown job name ${JSON.stringify(job.name)}`);
    const { taskId } = job.data;
    // Registered before the row is claimed, so that a cancellation right after the claim is heard.
    const cancellation = new AbortController();
    this.running.set(taskId, cancellation);
    try {
      return await this.run(job, token, jobSignal, cancellation);
    } finally {
      if (this.running.get(taskId) === cancellation) this.running.delete(taskId);
    }
  }

  private async run(job: TaskJob, token: string | undefined, jobSignal: AbortSignal | undefined, cancellation: AbortController): Promise<ProcessOutcome> {
    const { taskId } = job.data;
    // Made only when a line about the task is logged besides its state changes (warnings, a
    // plugin's own lines): a child logger per task costs more than the lines most tasks log.
    let child: TaskLogger | undefined;
    const log = lazyLogger(() => (child ??= this.logger.child({ taskId, jobId: job.id, queue: job.queueName })));
    // BullMQ's signal aborts at shutdown; ours when the task is cancelled.
    const signal = jobSignal ? AbortSignal.any([jobSignal, cancellation.signal]) : cancellation.signal;
    // One round trip in the common case: claim the row (UPDATE … RETURNING). Flow parents are left
    // out of it (their row stays QUEUED while their children run); so are finished and missing
    // rows, which are then read to tell why.
    let task = await this.deps.tasks.markRunning(taskId, { except: this.flowParents });
    if (!task) {
      const existing = await this.deps.tasks.get(taskId);
      if (!existing) {
        log.warn('task row not found: job ignored');
        return { skipped: 'missing' };
      }
      if (isFinishedStatus(existing.status)) {
        log.info({ status: existing.status }, 'task already finished: duplicate delivery ignored');
        return { skipped: existing.status };
      }
      // A flow's parent first has its children run (TaskFlow): its row stays QUEUED meanwhile.
      const children = await this.flowStep(existing, job, token, log);
      task = await this.deps.tasks.markRunning(taskId);
      if (!task) return { skipped: 'finished meanwhile' };
      return this.runClaimed(task, job, token, signal, cancellation, log, children);
    }
    return this.runClaimed(task, job, token, signal, cancellation, log, undefined);
  }

  private async runClaimed(
    task: TaskEntity,
    job: TaskJob,
    token: string | undefined,
    signal: AbortSignal,
    cancellation: AbortController,
    log: TaskLogger,
    children: readonly ChildTaskOutcome[] | undefined,
  ): Promise<ProcessOutcome> {
    const taskId = task.id;
    let submitterLog: TaskLogger | undefined;
    this.logger.info({ taskId, kind: task.kind, type: task.type, status: task.status, attempt: task.attempts }, 'task started');
    // The task's own log (task_log): what its plugin logs, and the platform's lines about it.
    // "started" is quiet: it is stored only if something else is (a silent task costs no SQL).
    const taskLog = new TaskLogBuffer(taskId, task.attempts, this.taskLogs, (error) => log.warn({ err: error instanceof Error ? error.message : String(error) }, 'could not store task log lines'));
    taskLog.add(TASK_LOG_LEVELS.info, `task started (attempt ${task.attempts})`, null, { quiet: true });
    // Not awaited: updates leave in order on one connection, batched with other tasks' (TaskEventsPublisher).
    void this.publish(task, log);

    const progress = new ProgressReporter(async (fraction, message) => {
      if (await this.deps.tasks.updateProgress(taskId, fraction, message)) {
        await this.deps.events.publish({
          ...taskUpdateOf(task),
          progress: fraction,
          progressMessage: message ?? task.progressMessage,
          updatedAt: new Date().toISOString(),
        });
      } else if ((await this.deps.tasks.get(taskId))?.status === TaskStatus.CANCELLED) {
        // The cancellation message was missed (e.g. Redis reconnecting): the row says it.
        this.cancel(taskId);
      }
    }, this.deps.progressIntervalMs);

    try {
      const outcome = await runTask(
        { taskId, kind: task.kind, type: task.type, input: task.input },
        {
          registry: this.deps.registry,
          // Written under the task row's team (the queue payload is only the id).
          emit: new ResultWriter(this.deps.dataSource, taskId, log, {
            team: task.team,
            onNewFindings: (fresh) => this.announceFindings(task.team, fresh.map(storedFindingOf), log),
            onReopenedFindings: (reopened) => this.announceFindings(task.team, reopened.map(storedFindingOf), log),
            onResolvedFindings: (resolved) => this.announceFindings(task.team, resolved, log),
          }),
          platform: (definition) =>
            new WorkerTaskPlatform({
              dataSource: this.deps.dataSource,
              registry: this.deps.registry,
              queues: this.deps.queues,
              inputs: this.deps.inputs,
              task,
              definition,
              maxChildTasks: this.deps.maxChildTasks ?? DEFAULT_MAX_CHILD_TASKS,
              logger: log,
              // The submitter's lines name the child as taskId: bound to this task's id as well,
              // they would carry taskId twice (pino keeps both), so they name this one parentTaskId.
              submitterLogger: lazyLogger(() => (submitterLog ??= this.logger.child({ parentTaskId: taskId }))),
              ...(this.deps.notifications ? { notifications: this.deps.notifications } : {}),
            }),
          ...(children ? { children: async () => children } : {}),
          // runTask's child logger carries taskId, plugin and task type; the tee keeps its lines in the task's log too.
          logger: teeTaskLogger(this.logger, taskLog),
          signal,
          // The task team's upload folder is allowed: the API rewrote `upload:<id>` to paths in it.
          checkInput: (definition, input) => this.deps.inputs.check(definition, input, { team: task.team }),
          onProgress: (fraction, message) => progress.report(fraction, message),
        },
      );
      await progress.stop();
      // Written before the task is seen finished, so a reader told it finished finds its whole log.
      await taskLog.close();
      const succeeded = await this.deps.tasks.succeedResolving(taskId, outcome.output ?? null);
      if (succeeded) {
        const { task: done, resolved } = succeeded;
        this.logger.info({ taskId, status: done.status, ...(resolved.length > 0 ? { resolvedFindings: resolved.length } : {}) }, 'task succeeded');
        await this.publish(done, log);
        await this.announceFindings(task.team, resolved, log);
        return { status: 'SUCCEEDED' };
      }
      if (await this.isCancelled(taskId, log)) {
        log.info('task cancelled while it ran (it finished without heeding the abort): result not recorded');
        return { status: 'CANCELLED' };
      }
      log.warn('task left RUNNING while it ran: result not recorded');
      return { status: 'SUCCEEDED' };
    } catch (error) {
      await progress.stop();
      if (cancellation.signal.aborted || (await this.isCancelled(taskId, log))) {
        // The row is CANCELLED and stays so (fail/requeue would not move it); what the task
        // wrote before it stopped stays too. The job completes: a retry would only be skipped.
        await taskLog.close({ level: TASK_LOG_LEVELS.info, message: 'task cancelled: stopped' });
        log.info({ err: error instanceof Error ? error.message : String(error) }, 'task cancelled: stopped');
        return { status: 'CANCELLED' };
      }
      if (signal.aborted && this.deps.isShuttingDown()) {
        // Released, not failed: another worker (or this one after restart) runs it again.
        await taskLog.close({ level: TASK_LOG_LEVELS.warn, message: `worker shutting down: attempt ${task.attempts} stopped, the task will run again` });
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
      const permanent = isPermanentFailure(error);
      const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      if (permanent || lastAttempt) {
        await taskLog.close({ level: TASK_LOG_LEVELS.error, message: `task failed: ${message}`, fields: { attempt: task.attempts, permanent } });
        const failed = await this.deps.tasks.fail(taskId, message);
        if (failed) await this.publish(failed, log);
        log.error({ err: error, permanent }, 'task failed');
        throw permanent ? new UnrecoverableError(message) : error;
      }
      await taskLog.close({ level: TASK_LOG_LEVELS.warn, message: `attempt ${task.attempts} failed, will retry: ${message}` });
      const requeued = await this.deps.tasks.requeue(taskId, message);
      if (requeued) await this.publish(requeued, log);
      log.warn({ err: error, attempt: job.attemptsMade + 1 }, 'task attempt failed: will retry');
      throw error;
    } finally {
      // Whatever else happened, what the task logged is written (close is idempotent).
      await taskLog.close();
    }
  }

  /**
   * For a flow's parent: the outcomes of its children once all have finished; otherwise the job
   * is moved to `waiting-children` (or delayed) and BullMQ is told so by the thrown error.
   * Undefined for a task without children.
   */
  private async flowStep(task: TaskEntity, job: TaskJob, token: string | undefined, log: TaskLogger): Promise<readonly ChildTaskOutcome[] | undefined> {
    const definition = this.deps.registry.findTask(task.kind, task.type)?.definition;
    if (!definition || !TaskFlow.isParent(definition)) return undefined;
    let step: Awaited<ReturnType<TaskFlow['step']>>;
    try {
      step = await this.flow.step(task, definition, job, token);
    } catch (error) {
      // Bad input or too many children: the parent fails now. Anything else: BullMQ retries.
      const message = error instanceof Error ? error.message : String(error);
      if (!isPermanentFailure(error) && job.attemptsMade + 1 < (job.opts.attempts ?? 1)) throw error;
      const failed = await this.deps.tasks.fail(task.id, message);
      if (failed) await this.publish(failed, log);
      log.error({ err: error }, 'flow could not start its children: task failed');
      throw new UnrecoverableError(message);
    }
    if ('run' in step) return step.run;
    // The job is no longer ours: BullMQ must neither complete nor retry it.
    throw step.wait === 'children' ? new WaitingChildrenError() : new DelayedError();
  }

  private async isCancelled(taskId: string, log: TaskLogger): Promise<boolean> {
    try {
      return (await this.deps.tasks.get(taskId))?.status === TaskStatus.CANCELLED;
    } catch (error) {
      log.warn({ err: error }, 'could not read the task row after a failure');
      return false;
    }
  }

  /**
   * Every finding whose state a task changed, of any kind: inserted (OPEN), reported again after
   * being RESOLVED (OPEN, reopened) or resolved by the task's success (RESOLVED). API replicas
   * hand them to their FindingEvents subscribers, who tell them apart by status.
   */
  private async announceFindings(team: string, findings: readonly StoredFinding[], log: TaskLogger): Promise<void> {
    if (findings.length === 0 || !this.deps.findings) return;
    // Stored already: an announcement that fails is logged, never a failed task.
    await this.deps.findings.publish(team, findings).catch((error: unknown) => log.warn({ err: error, findings: findings.length }, 'could not publish finding changes'));
  }

  private async publish(task: TaskEntity, log: TaskLogger): Promise<void> {
    // Subscribers are a convenience; the row is the truth. Never fail a task over pub/sub.
    await this.deps.events.publish(taskUpdateOf(task)).catch((error: unknown) => log.warn({ err: error }, 'could not publish task update'));
  }
}

/** A TaskLogger whose target is made on first use. */
function lazyLogger(target: () => TaskLogger): TaskLogger {
  return {
    debug: (obj, msg) => target().debug(obj, msg),
    info: (obj, msg) => target().info(obj, msg),
    warn: (obj, msg) => target().warn(obj, msg),
    error: (obj, msg) => target().error(obj, msg),
    child: (bindings) => target().child(bindings),
  };
}
