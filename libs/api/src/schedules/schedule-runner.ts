import type { Logger } from '@bulkhead/common';
import { ALL_TEAMS, SCHEDULE_TASK_LABEL, ScheduleStore, TaskStatus, teamScope, TaskStore, type ScheduleEntity } from '@bulkhead/persistence';
import { parseTaskInput, type PluginKind, type PluginRegistry } from '@bulkhead/plugin-sdk';
import { createRedis, TaskSubmitter, type ServerInputPolicy, type TaskQueues } from '@bulkhead/queue';
import { Queue, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { DataSource } from 'typeorm';
import { TaskQuotaExceededError, type TokenTaskQuota } from '../host/task-quota';

/** The label every task a schedule submits carries, valued with the schedule's id. */
export const SCHEDULE_LABEL = SCHEDULE_TASK_LABEL;
/** The BullMQ queue of schedule firings (persisted in Redis: never rename). */
export const SCHEDULE_QUEUE = 'bulkhead.schedules';
const FIRE_JOB = 'schedule.fire';

interface FireJob {
  scheduleId: string;
}

export interface ScheduleRunnerOptions {
  dataSource: DataSource;
  registry: PluginRegistry;
  queues: TaskQueues;
  inputs: ServerInputPolicy;
  redisUrl: string;
  prefix: string;
  logger: Logger;
  /** How often Postgres is compared with Redis's job schedulers (BULKHEAD_SCHEDULE_RECONCILE_SECONDS). */
  reconcileMs: number;
  /** The per-token task quota; each firing takes a place of the token that created or last edited the schedule. */
  quota?: TokenTaskQuota;
}

/**
 * Drives schedules: one BullMQ job scheduler per active schedule row (id = schedule id), a
 * worker that turns each firing into a normal task, and a reconciler that makes Redis match
 * Postgres again (Redis flushed, a write to Redis lost, a schedule deleted while Redis was
 * down). Every API process runs one: BullMQ hands each firing to one worker only.
 */
export class ScheduleRunner {
  private readonly all: ScheduleStore;
  private readonly connections: Redis[] = [];
  private readonly queue: Queue<FireJob>;
  private worker: Worker<FireJob> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private reconciling: Promise<unknown> | undefined;

  constructor(private readonly options: ScheduleRunnerOptions) {
    this.all = new ScheduleStore(options.dataSource, ALL_TEAMS);
    const producer = createRedis(options.redisUrl, 'producer', { connectionName: 'bulkhead-api-schedules' });
    producer.on('error', (error: Error) => options.logger.warn({ err: error.message }, 'schedule queue redis error'));
    this.connections.push(producer);
    this.queue = new Queue<FireJob>(SCHEDULE_QUEUE, { connection: producer, prefix: options.prefix });
  }

  /** Reconciles once (a failure is logged: Redis may come later), then starts the worker and the periodic reconciler. */
  async start(): Promise<void> {
    await this.reconcile().catch((error: unknown) => this.options.logger.warn({ err: (error as Error).message }, 'schedule reconcile failed; retrying later'));
    const connection = createRedis(this.options.redisUrl, 'worker', { connectionName: 'bulkhead-api-schedule-worker' });
    connection.on('error', (error: Error) => this.options.logger.warn({ err: error.message }, 'schedule worker redis error'));
    this.connections.push(connection);
    this.worker = new Worker<FireJob>(SCHEDULE_QUEUE, (job) => this.fire(job), { connection, prefix: this.options.prefix, concurrency: 4 });
    this.worker.on('error', (error) => this.options.logger.warn({ err: error.message }, 'schedule worker error'));
    this.timer = setInterval(() => {
      void this.reconcile().catch((error: unknown) => this.options.logger.warn({ err: (error as Error).message }, 'schedule reconcile failed'));
    }, this.options.reconcileMs);
    this.timer.unref();
  }

  /** Checks a task request as the submitter will at each firing; returns the input to store. Throws TaskInputError / BadInputError. */
  async validate(kind: PluginKind, type: string, input: unknown): Promise<unknown> {
    const { definition } = this.options.registry.requireTask(kind, type);
    const parsed = parseTaskInput(definition, input);
    return this.options.inputs.confine(definition, parsed);
  }

  /** Makes Redis's job scheduler of one schedule match its row (null: the row was deleted). */
  async sync(id: string, schedule: ScheduleEntity | null): Promise<void> {
    if (!schedule || schedule.paused) {
      await this.queue.removeJobScheduler(id);
      return;
    }
    await this.queue.upsertJobScheduler(schedule.id, { pattern: schedule.cron, tz: schedule.timezone }, {
      name: FIRE_JOB,
      data: { scheduleId: schedule.id },
      // A schedule firing every second must not keep every finished firing in Redis: the row records the runs.
      opts: { removeOnComplete: { count: 100 }, removeOnFail: { age: 7 * 24 * 3600, count: 1_000 } },
    });
  }

  /**
   * Postgres is the source of truth: every active schedule gets its job scheduler (upsert is
   * idempotent; a changed pattern replaces the old one), and schedulers with no active row are
   * removed. Returns what it did.
   */
  async reconcile(): Promise<{ upserted: number; removed: number }> {
    // One at a time: an interval tick during a slow run would only repeat it.
    const run = (this.reconciling ??= this.reconcileOnce().finally(() => (this.reconciling = undefined)));
    return run as Promise<{ upserted: number; removed: number }>;
  }

  private async reconcileOnce(): Promise<{ upserted: number; removed: number }> {
    const active = (await this.all.list()).filter((s) => !s.paused);
    const activeIds = new Set(active.map((s) => s.id));
    const existing = await this.queue.getJobSchedulers(0, -1);
    const byId = new Map(existing.map((s) => [s.key, s]));
    let upserted = 0;
    for (const schedule of active) {
      const current = byId.get(schedule.id);
      if (current && current.pattern === schedule.cron && current.tz === schedule.timezone) continue;
      await this.sync(schedule.id, schedule);
      upserted++;
    }
    let removed = 0;
    for (const scheduler of existing) {
      if (activeIds.has(scheduler.key)) continue;
      await this.queue.removeJobScheduler(scheduler.key);
      removed++;
    }
    if (upserted + removed > 0) this.options.logger.info({ upserted, removed }, 'schedules reconciled');
    return { upserted, removed };
  }

  /**
   * One firing: submits the schedule's task in its team, labelled with the schedule id, and
   * records on the schedule what the finding lifecycle recorded since the previous run on the
   * findings its tasks reported. While the previous run's task is still queued or running the submission returns it
   * (de-duplication by input and labels): overlapping firings do not pile up rescans, and no run is recorded.
   */
  private async fire(job: Job<FireJob>): Promise<void> {
    const { scheduleId } = job.data;
    const schedule = await this.all.get(scheduleId);
    const log = this.options.logger.child({ scheduleId });
    if (!schedule || schedule.paused) {
      // Fired from a scheduler the reconciler has not removed yet.
      await this.sync(scheduleId, schedule);
      return;
    }
    const at = new Date();
    const tasks = new TaskStore(this.options.dataSource, teamScope(schedule.team));
    // The previous run still unfinished absorbs the firing (as the submitter's de-duplication would),
    // looked up first so that it takes no place of the token's quota and records no error.
    const previous = schedule.lastTaskId ? await tasks.get(schedule.lastTaskId) : null;
    if (previous && (previous.status === TaskStatus.QUEUED || previous.status === TaskStatus.RUNNING)) {
      log.info({ taskId: previous.id }, 'previous run still unfinished; firing skipped');
      return;
    }
    const submitter = new TaskSubmitter({
      registry: this.options.registry,
      tasks,
      queues: this.options.queues,
      inputs: this.options.inputs,
      logger: log,
    });
    try {
      const labels = { [SCHEDULE_LABEL]: schedule.id };
      const request = { kind: schedule.kind as PluginKind, type: schedule.type, input: schedule.input, labels };
      const submit = () => submitter.submit(request);
      const { task, created } = this.options.quota ? await this.options.quota.submitAs(schedule.ownerTokenId, submit) : await submit();
      if (!created) {
        log.info({ taskId: task.id }, 'previous run still unfinished; firing skipped');
        return;
      }
      const changes = schedule.lastRunAt ? await this.all.changesBetween(schedule.team, schedule.id, schedule.lastRunAt, at) : null;
      await this.all.recordRun(schedule.id, { at, taskId: task.id, error: null, changes });
      log.info({ taskId: task.id, changes }, 'schedule fired');
    } catch (error) {
      // A schedule whose input the server now refuses (a plugin removed, a path no longer allowed),
      // or whose token is at its quota: recorded on the schedule, not retried (the next firing tries again).
      const message = (error instanceof TaskQuotaExceededError
        ? `firing skipped: the API token that created or last edited this schedule already has ${error.max} queued or running tasks (BULKHEAD_MAX_QUEUED_TASKS_PER_TOKEN)`
        : (error as Error).message
      ).slice(0, 2_000);
      await this.all.recordRun(schedule.id, { at, taskId: null, error: message, changes: null });
      log.warn({ err: message }, 'schedule could not submit its task');
    }
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.reconciling?.catch(() => undefined);
    await this.worker?.close();
    await this.queue.close();
    for (const connection of this.connections) connection.disconnect();
  }
}
