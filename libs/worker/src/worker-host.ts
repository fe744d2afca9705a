import { PLUGIN_KINDS, silentLogger, type PluginKind, type PluginRegistry, type TaskLogger } from '@bulkhead/plugin-sdk';
import { ALL_TEAMS, connectDatabase, redactUrl, runMigrations, TaskStore } from '@bulkhead/persistence';
import {
  checkRedis,
  createRedis,
  DEFAULT_QUEUE_PREFIX,
  FindingsPublisher,
  NotificationsPublisher,
  queueNameForKind,
  Reconciler,
  ServerInputPolicy,
  TaskCancellationListener,
  TaskEventsPublisher,
  TaskQueues,
  withPlatformTasks,
  type JobName,
  type JobOf,
  type TaskJob,
} from '@bulkhead/queue';
import { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { DataSource } from 'typeorm';
import { TaskProcessor } from './task-processor';
import { DEFAULT_MAX_STALLED_COUNT } from './worker-config';

type TaskWorker = Worker<JobOf<JobName.TaskRun>, unknown, JobName>;


export interface WorkerOptions {
  registry: PluginRegistry;
  /** What task inputs may reach on this machine; default: from BULKHEAD_ALLOWED_PATHS and BULKHEAD_ENABLE_... in process.env. */
  inputs?: ServerInputPolicy;
  /** An initialised data source (e.g. shared with the API in `bulkhead serve`), or where to connect. */
  database: { dataSource: DataSource } | { url: string; schema?: string };
  redisUrl: string;
  /** Redis key prefix (default `bulkhead`). */
  queuePrefix?: string;
  /** Jobs run at once per kind (default 1 for kinds not listed). */
  concurrency?: Partial<Record<PluginKind, number>>;
  /** Serve only these kinds (default: every kind some loaded plugin has tasks for). */
  kinds?: readonly PluginKind[];
  /** Grace for running tasks at shutdown before they are aborted and released (default 30 s). */
  shutdownGraceMs?: number;
  reconcileIntervalMs?: number;
  lockDurationMs?: number;
  stalledIntervalMs?: number;
  /** Times a job may be recovered from a dead worker before it fails (WORKER_MAX_STALLED_COUNT; default 3). */
  maxStalledCount?: number;
  /** Run pending migrations first (default true). */
  migrate?: boolean;
  /** Most tasks one task may queue (BULKHEAD_MAX_CHILD_TASKS; default 1000). */
  maxChildTasks?: number;
  /** How often a flow's parent whose children are not linked to its job re-reads their rows (default 5 s). */
  flowPollMs?: number;
  /** Least time between two progress writes of a task (default 500 ms; later reports coalesce). */
  progressIntervalMs?: number;
  logger?: TaskLogger;
}

/**
 * The worker: one BullMQ Worker per plugin kind, a reconciler, a listener that aborts running
 * tasks when they are cancelled, a publisher of the findings its tasks insert, and the
 * connections they use. Usable standalone (apps/worker) or inside another process (`bulkhead serve`).
 */
export class WorkerHost {
  private stopping: Promise<void> | undefined;

  private constructor(
    readonly dataSource: DataSource,
    private readonly ownsDataSource: boolean,
    private readonly workers: TaskWorker[],
    private readonly connections: Redis[],
    private readonly queues: TaskQueues,
    private readonly events: TaskEventsPublisher,
    private readonly findings: FindingsPublisher,
    private readonly cancellations: TaskCancellationListener,
    readonly reconciler: Reconciler,
    private readonly options: WorkerOptions,
    private readonly logger: TaskLogger,
    private readonly lifecycle: { shuttingDown: boolean },
    private readonly notifications: NotificationsPublisher,
  ) {}

  /** Kinds this host serves. */
  get kinds(): PluginKind[] {
    return PLUGIN_KINDS.filter((kind) => this.workers.some((w) => w.name === queueNameForKind(kind)));
  }

  static async start(options: WorkerOptions): Promise<WorkerHost> {
    const logger = options.logger ?? silentLogger;
    const prefix = options.queuePrefix ?? DEFAULT_QUEUE_PREFIX;
    // Without plugins and without kinds asked for, a worker is misconfigured (it could only run probes).
    if (!options.kinds && !options.registry.list().some((p) => p.tasks.length > 0)) throw new Error('no plugin provides any task: nothing for the worker to do');
    // The platform's own tasks (the canary probe) run whatever plugins are loaded.
    const plugins = withPlatformTasks(options.registry).list();
    for (const plugin of plugins) {
      const { id, version, kind } = plugin.manifest;
      logger.info({ plugin: id, version, kind, tasks: plugin.tasks.map((t) => t.type) }, 'plugin loaded');
    }
    const kinds = options.kinds ?? PLUGIN_KINDS.filter((kind) => plugins.some((p) => p.manifest.kind === kind && p.tasks.length > 0));
    if (kinds.length === 0) throw new Error('no plugin provides any task: nothing for the worker to do');

    await checkRedis(options.redisUrl);
    const ownsDataSource = !('dataSource' in options.database);
    const dataSource = 'dataSource' in options.database ? options.database.dataSource : await connectDatabase(options.database);
    try {
      if (options.migrate ?? true) {
        const ran = await runMigrations(dataSource);
        if (ran.length) logger.info({ migrations: ran }, 'database migrated');
      } else if (await dataSource.showMigrations()) {
        throw new Error(`database ${redactUrl(String((dataSource.options as { url?: string }).url))} has pending migrations: run them first (bulkhead migrate)`);
      }
    } catch (error) {
      if (ownsDataSource) await dataSource.destroy().catch(() => undefined);
      throw error;
    }

    // The worker and the reconciler work on task rows of every team by id; results are written under each task's team.
    const tasks = new TaskStore(dataSource, ALL_TEAMS);
    const queues = new TaskQueues({ redisUrl: options.redisUrl, prefix });
    const events = new TaskEventsPublisher({ redisUrl: options.redisUrl, prefix });
    const findings = new FindingsPublisher({ redisUrl: options.redisUrl, prefix, connectionName: 'bulkhead-worker-findings-publisher' });
    const notifications = new NotificationsPublisher({ redisUrl: options.redisUrl, prefix, connectionName: 'bulkhead-worker-notifications-publisher' });
    const reconciler = new Reconciler({ tasks, queues, logger: logger.child({ component: 'reconciler' }) });
    const connections: Redis[] = [];
    const workers: TaskWorker[] = [];
    const lifecycle = { shuttingDown: false };
    const processor = new TaskProcessor({
      dataSource,
      tasks,
      queues,
      ...(options.maxChildTasks !== undefined ? { maxChildTasks: options.maxChildTasks } : {}),
      ...(options.flowPollMs !== undefined ? { flowPollMs: options.flowPollMs } : {}),
      ...(options.progressIntervalMs !== undefined ? { progressIntervalMs: options.progressIntervalMs } : {}),
      registry: options.registry,
      inputs: options.inputs ?? ServerInputPolicy.fromEnv(),
      events,
      findings,
      notifications,
      logger,
      isShuttingDown: () => lifecycle.shuttingDown,
    });
    const cancellations = new TaskCancellationListener(
      { redisUrl: options.redisUrl, prefix },
      (taskId) => processor.cancel(taskId),
      (error) => logger.warn({ err: error.message }, 'task cancellation subscriber connection error'),
    );
    try {
      // Subscribed before any job is taken: a task cannot start unheard.
      await cancellations.start();
    } catch (error) {
      await Promise.allSettled([queues.close(), events.close(), findings.close(), notifications.close(), cancellations.close()]);
      if (ownsDataSource) await dataSource.destroy().catch(() => undefined);
      throw error;
    }
    for (const kind of kinds) {
      const connection = createRedis(options.redisUrl, 'worker');
      connection.on('error', () => undefined);
      connections.push(connection);
      const concurrency = options.concurrency?.[kind] ?? 1;
      const worker: TaskWorker = new Worker(queueNameForKind(kind), (job: TaskJob, token, signal) => processor.process(job, token, signal), {
        connection,
        prefix,
        concurrency,
        lockDuration: options.lockDurationMs ?? 30_000,
        stalledInterval: options.stalledIntervalMs ?? 30_000,
        maxStalledCount: options.maxStalledCount ?? DEFAULT_MAX_STALLED_COUNT,
        autorun: true,
      });
      worker.on('error', (error) => logger.error({ err: error, queue: worker.name }, 'queue worker error'));
      workers.push(worker);
      logger.info({ queue: worker.name, concurrency }, 'serving queue');
    }
    const host = new WorkerHost(dataSource, ownsDataSource, workers, connections, queues, events, findings, cancellations, reconciler, options, logger, lifecycle, notifications);
    await Promise.all(workers.map((w) => w.waitUntilReady()));
    await reconciler.start(options.reconcileIntervalMs ?? 60_000);
    return host;
  }

  /**
   * Graceful stop: take no new jobs, let running tasks finish within the grace period, then
   * abort the rest (they are released back to the queue), and close every connection.
   */
  stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  private async doStop(): Promise<void> {
    this.lifecycle.shuttingDown = true;
    const grace = this.options.shutdownGraceMs ?? 30_000;
    this.logger.info({ graceMs: grace }, 'worker stopping');
    await this.reconciler.stop();
    const closing = Promise.all(this.workers.map((w) => w.close()));
    if (!(await settlesWithin(closing, grace))) {
      this.logger.warn('grace period over: aborting running tasks');
      for (const worker of this.workers) worker.cancelAllJobs('worker shutting down');
      if (!(await settlesWithin(closing, Math.max(grace, 5_000)))) {
        // A task that ignores its AbortSignal: leave its job to BullMQ's stalled-job recovery.
        this.logger.error('running tasks ignored the abort: closing anyway');
        await Promise.all(this.workers.map((w) => w.close(true)));
      }
    }
    await Promise.allSettled([this.queues.close(), this.events.close(), this.findings.close(), this.notifications.close(), this.cancellations.close()]);
    for (const connection of this.connections) connection.disconnect();
    if (this.ownsDataSource) await this.dataSource.destroy().catch(() => undefined);
    this.logger.info('worker stopped');
  }
}

export function startWorker(options: WorkerOptions): Promise<WorkerHost> {
  return WorkerHost.start(options);
}

async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  const result = await Promise.race([promise.then(() => true as const, () => true as const), timeout]);
  clearTimeout(timer);
  return result;
}
