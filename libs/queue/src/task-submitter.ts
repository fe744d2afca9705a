import { createHash } from 'node:crypto';
import { BadInputError, parseTaskInput, silentLogger, TaskInputError, type PluginKind, type PluginRegistry, type TaskLogger } from '@bulkhead/plugin-sdk';
import { isUuid, type NewTask, type TaskEntity, type TaskStore } from '@bulkhead/persistence';
import type { ServerInputPolicy, UploadResolver } from './server-inputs';
import { stableStringify } from './stable-json';
import { parseTaskLabels } from './task-labels';
import type { JobParent, TaskQueues } from './task-queues';

export interface SubmitTaskRequest {
  kind: PluginKind;
  type: string;
  /** Raw input: validated against the task's schema here, before anything is written. */
  input: unknown;
  /**
   * Identity for de-duplication. Default (`true`): derived from kind, type, plugin id and
   * version and the validated input, so the same request while a task is queued or running is
   * that task; once it has finished, the request runs again. `false` always creates a new task.
   * Labels and the parent task, when given, are part of the identity.
   */
  dedup?: boolean;
  /** String labels stored with the task (checked by parseTaskLabels). */
  labels?: unknown;
  /** The task that submits this one: it must exist. */
  parentTaskId?: string | null;
  /** The parent's BullMQ job when this task is a child of a flow (TaskDefinition.children): its job waits for this one. */
  jobParent?: JobParent;
  /**
   * Called once the row of a new task is recorded, before its job is added: a caller that must
   * hear every update of the task (the canary probe) subscribes here, so the end cannot be missed.
   */
  onRecorded?: (task: TaskEntity) => Promise<void>;
}

export interface SubmitTaskResult {
  task: TaskEntity;
  /** False when an existing task with the same identity was returned. */
  created: boolean;
  /** False when Redis refused the job; the reconciler enqueues it later. */
  enqueued: boolean;
  /** When the row was recorded and the job added (ms since the epoch): the canary's first hops. */
  timings: { recordedAt: number; enqueueStartedAt?: number; enqueuedAt?: number };
}

const ENQUEUE_TIMEOUT_MS = 5_000;

/** The most tasks one submitMany call (GraphQL submitTasks) takes. */
export const MAX_BATCH_SUBMISSIONS = 500;

/**
 * Accepts work: validates it against the plugin registry, records the task row (the source of
 * truth) and only then adds the BullMQ job with the task id as job id.
 */
export class TaskSubmitter {
  private readonly logger: TaskLogger;

  constructor(
    private readonly deps: {
      registry: PluginRegistry;
      tasks: TaskStore;
      queues: TaskQueues;
      /** What inputs may reach on this server (BULKHEAD_ALLOWED_PATHS, trusted fields, opt-in tasks). */
      inputs: ServerInputPolicy;
      /** The request team's uploads (the API's): `upload:<id>` in server path fields is resolved to their files. */
      uploads?: UploadResolver;
      logger?: TaskLogger;
    },
  ) {
    this.logger = deps.logger ?? silentLogger;
  }

  /**
   * Throws TaskInputError (naming every bad field, or the missing handler) for bad requests, and
   * BadInputError for bad labels, a parent task that does not exist, or an input the server
   * refuses (a path outside BULKHEAD_ALLOWED_PATHS, a client-given control folder, a task the
   * operator has not turned on): nothing is written or queued then.
   */
  async submit(request: SubmitTaskRequest): Promise<SubmitTaskResult> {
    const { task, created } = await this.deps.tasks.createOrGet(await this.prepare(request));
    const recordedAt = Date.now();
    if (!created) {
      this.logger.info({ taskId: task.id, status: task.status, dedupKey: task.dedupKey }, 'same task already exists');
      return { task, created, enqueued: false, timings: { recordedAt } };
    }
    await request.onRecorded?.(task);
    const enqueueStartedAt = Date.now();
    try {
      await withTimeout(this.deps.queues.enqueue(task, request.jobParent ? { parent: request.jobParent } : {}), ENQUEUE_TIMEOUT_MS, 'adding the job to Redis');
    } catch (error) {
      this.logger.warn({ taskId: task.id, err: error }, 'task recorded but its job could not be added; the reconciler will enqueue it');
      return { task, created, enqueued: false, timings: { recordedAt, enqueueStartedAt } };
    }
    // One line per state change: QUEUED (no child logger per task: it costs more than the line).
    this.logger.info({ taskId: task.id, kind: task.kind, type: task.type, status: task.status }, 'task queued');
    return { task, created, enqueued: true, timings: { recordedAt, enqueueStartedAt, enqueuedAt: Date.now() } };
  }

  /**
   * Submits up to MAX_BATCH_SUBMISSIONS tasks: every request is checked first (a bad one is a
   * BadInputError naming its index, `tasks[3]: …`, and nothing is written), then the rows are
   * recorded by one multi-row INSERT and the new tasks' jobs added by one addBulk per queue.
   * Results are in request order; a request that met a live twin (in the table or earlier in
   * the batch) returns that task, `created: false`. Batches carry no flow parent or onRecorded hook.
   */
  async submitMany(requests: readonly SubmitTaskRequest[]): Promise<SubmitTaskResult[]> {
    if (requests.length === 0) throw new BadInputError('tasks: give at least one task');
    if (requests.length > MAX_BATCH_SUBMISSIONS) throw new BadInputError(`tasks: at most ${MAX_BATCH_SUBMISSIONS} tasks per call (got ${requests.length})`);
    const prepared = [];
    for (const [i, request] of requests.entries()) {
      if (request.jobParent || request.onRecorded) throw new Error('submitMany: flow parents and onRecorded hooks are for single submissions');
      try {
        prepared.push(await this.prepare(request));
      } catch (error) {
        if (error instanceof TaskInputError || error instanceof BadInputError) throw new BadInputError(`tasks[${i}]: ${error.message}`, { cause: error });
        throw error;
      }
    }
    const stored = await this.deps.tasks.createOrGetMany(prepared);
    const recordedAt = Date.now();
    const fresh = stored.filter((s) => s.created).map((s) => s.task);
    let enqueued = fresh.length > 0;
    const enqueueStartedAt = Date.now();
    if (fresh.length > 0) {
      try {
        await withTimeout(this.deps.queues.enqueueMany(fresh), ENQUEUE_TIMEOUT_MS, 'adding the jobs to Redis');
        for (const task of fresh) this.logger.info({ taskId: task.id, kind: task.kind, type: task.type, status: task.status }, 'task queued');
      } catch (error) {
        enqueued = false;
        this.logger.warn({ tasks: fresh.length, err: error }, 'tasks recorded but their jobs could not be added; the reconciler will enqueue them');
      }
    }
    const enqueuedAt = Date.now();
    return stored.map(({ task, created }) => ({
      task,
      created,
      enqueued: created && enqueued,
      timings: created ? { recordedAt, enqueueStartedAt, enqueuedAt } : { recordedAt },
    }));
  }

  /** Checks a request and builds its row: nothing is written. */
  private async prepare(request: SubmitTaskRequest): Promise<NewTask> {
    const { plugin, definition } = this.deps.registry.requireTask(request.kind, request.type);
    const parsed = parseTaskInput(definition, request.input);
    const labels = parseTaskLabels(request.labels);
    const parentTaskId = await this.requireParent(request.parentTaskId);
    // Last of the checks (it touches the file system), still before anything is written. The
    // stored input names resolved uploads by their server paths, which the worker checks again.
    const input = await this.deps.inputs.confine(definition, parsed, this.deps.uploads);
    // Labels and parent join the identity only when given, so plain requests keep their keys.
    const extra = Object.keys(labels).length > 0 || parentTaskId ? stableStringify({ labels, parentTaskId }) : '';
    const dedupKey =
      request.dedup === false
        ? null
        : `${request.kind}/${request.type}@${plugin.manifest.id}@${plugin.manifest.version}:${createHash('sha256').update(stableStringify(input)).update(extra).digest('hex')}`;
    return { kind: request.kind, type: request.type, input, dedupKey, pluginId: plugin.manifest.id, pluginVersion: plugin.manifest.version, labels, parentTaskId };
  }

  private async requireParent(parentTaskId: string | null | undefined): Promise<string | null> {
    if (parentTaskId === undefined || parentTaskId === null) return null;
    if (!isUuid(parentTaskId)) throw new BadInputError(`parentTaskId: ${JSON.stringify(parentTaskId.slice(0, 80))} is not a task id (a UUID)`);
    if (!(await this.deps.tasks.get(parentTaskId))) throw new BadInputError(`parentTaskId: task ${parentTaskId} does not exist`);
    return parentTaskId;
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
