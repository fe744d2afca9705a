import { Inject, Injectable } from '@nestjs/common';
import { isUuid, TaskStateError, TaskStatus as StoredTaskStatus, TaskStore, UNFINISHED_TASK_STATUSES, type TaskFilter as StoreTaskFilter } from '@bulkhead/persistence';
import { FLOW_CHILD_LABEL, MAX_BATCH_SUBMISSIONS, parseTaskLabels, TaskEventsPublisher, TaskQueues, TaskSubmitter, taskUpdateOf } from '@bulkhead/queue';
import type { PluginKind } from '@bulkhead/plugin-sdk';
import type { Logger } from '@bulkhead/common';
import type { Connection } from '@bulkhead/plugin-sdk/api';
import { badUserInput } from '../graphql/errors';
import { mapConnection, pageRequest } from '../graphql/pagination';
import { GraphQLError } from 'graphql';
import type { RedisRateLimiter } from '../host/http-hardening';
import { requestContext } from '../host/request-context';
import { API_LOGGER, RATE_LIMITER, TASK_EVENTS_PUBLISHER, TASK_QUEUES, TASK_STORE, TASK_SUBMITTER } from '../tokens';
import { toTaskModel } from './task.mapper';
import type { Task, TaskFilter } from './task.model';

/** What a submission may carry besides the input (GraphQL passes null for omitted arguments). */
export interface SubmitOptions {
  /** A JSON object of strings (checked by the submitter: BAD_USER_INPUT naming the problem). */
  labels?: unknown;
  parentTaskId?: string | null;
}

/** One task of a batch (GraphQL's TaskSubmission). */
export interface SubmissionOf extends SubmitOptions {
  kind: PluginKind;
  type: string;
  input: unknown;
}

/** Task reads and commands; submission and queueing are the queue library's TaskSubmitter. */
@Injectable()
export class TaskService {
  constructor(
    @Inject(TASK_STORE) private readonly tasks: TaskStore,
    @Inject(TASK_SUBMITTER) private readonly submitter: TaskSubmitter,
    @Inject(TASK_QUEUES) private readonly queues: TaskQueues,
    @Inject(TASK_EVENTS_PUBLISHER) private readonly events: TaskEventsPublisher,
    @Inject(API_LOGGER) private readonly logger: Logger,
    @Inject(RATE_LIMITER) private readonly rateLimiter: RedisRateLimiter,
  ) {}

  async get(id: string): Promise<Task | null> {
    const task = await this.tasks.get(requireTaskId(id));
    return task ? toTaskModel(task) : null;
  }

  async list(filter: TaskFilter | null | undefined, first: number | null | undefined, after: string | null | undefined): Promise<Connection<Task>> {
    const storeFilter: StoreTaskFilter = {
      ...(filter?.kind ? { kind: filter.kind } : {}),
      ...(filter?.type ? { type: filter.type } : {}),
      ...(filter?.status ? { status: [filter.status as StoredTaskStatus] } : {}),
      ...(filter?.parentTaskId ? { parentTaskId: requireTaskId(filter.parentTaskId, 'filter.parentTaskId') } : {}),
      ...(filter?.labels === undefined || filter.labels === null ? {} : { labels: labelFilter(filter.labels) }),
    };
    return this.page(storeFilter, first, after);
  }

  /** The tasks that produced one artifact (by row id), newest first: Image.tasks. */
  async forArtifact(artifactId: string, first: number | null | undefined, after: string | null | undefined): Promise<Connection<Task>> {
    return this.page({ artifactId }, first, after);
  }

  private async page(storeFilter: StoreTaskFilter, first: number | null | undefined, after: string | null | undefined): Promise<Connection<Task>> {
    const [page, totalCount] = await Promise.all([this.tasks.list(storeFilter, pageRequest(first, after)), this.tasks.count(storeFilter)]);
    return mapConnection(page, totalCount, toTaskModel);
  }

  /**
   * Validates the input against the plugin's schema (TaskInputError → BAD_USER_INPUT), records
   * the task and queues it. The same request twice returns the same live task.
   */
  async submit(kind: PluginKind, type: string, input: unknown, options: SubmitOptions = {}): Promise<Task> {
    const { task } = await this.submitter.submit({
      kind,
      type,
      input,
      ...(options.labels === undefined || options.labels === null ? {} : { labels: options.labels }),
      ...(options.parentTaskId ? { parentTaskId: options.parentTaskId } : {}),
    });
    return toTaskModel(task);
  }

  /**
   * A batch of submissions (submitTasks): bounded, charged to the rate limiter as one request
   * per task (the request itself was counted once by the middleware), then submitted together.
   */
  async submitMany(tasks: readonly SubmissionOf[]): Promise<Task[]> {
    if (tasks.length === 0) throw badUserInput('tasks: give at least one task', { field: 'tasks' });
    if (tasks.length > MAX_BATCH_SUBMISSIONS) throw badUserInput(`tasks: at most ${MAX_BATCH_SUBMISSIONS} tasks per call (got ${tasks.length})`, { field: 'tasks' });
    const tokenId = requestContext.principal()?.tokenId;
    if (tokenId && tasks.length > 1 && this.rateLimiter.enabled) {
      const retryAfter = await this.rateLimiter.take(`token:${tokenId}`, tasks.length - 1);
      if (retryAfter !== undefined) {
        throw new GraphQLError(`a batch of ${tasks.length} tasks goes over the rate limit (BULKHEAD_RATE_LIMIT, one request per task); retry in ${retryAfter} s`, {
          extensions: { code: 'RATE_LIMITED', retryAfter },
        });
      }
    }
    const results = await this.submitter.submitMany(
      tasks.map((t) => ({
        kind: t.kind,
        type: t.type,
        input: t.input,
        ...(t.labels === undefined || t.labels === null ? {} : { labels: t.labels }),
        ...(t.parentTaskId ? { parentTaskId: t.parentTaskId } : {}),
      })),
    );
    return results.map((r) => toTaskModel(r.task));
  }

  /**
   * Cancels an unfinished task: the row first (the worker checks it before working), then a
   * waiting job is removed and the CANCELLED update is published: subscribers hear the final
   * state, and the worker running the task hears it on the cancel channel and aborts it. A
   * flow's parent takes its unfinished children with it: they only ran for it.
   */
  async cancel(id: string): Promise<Task> {
    const task = await this.tasks.cancel(requireTaskId(id));
    const log = this.logger.child({ taskId: task.id });
    try {
      const job = await this.queues.getJob(task);
      // An active job is locked by its worker, which aborts it on the published cancellation (or,
      // if it missed that, on its next progress write or failure, when it reads the row).
      if (job && !(await job.isActive())) await job.remove();
    } catch (error) {
      log.warn({ err: (error as Error).message }, 'task cancelled but its job could not be removed; the worker will skip it');
    }
    await this.events.publish(taskUpdateOf(task)).catch((error: unknown) => log.warn({ err: (error as Error).message }, 'could not publish cancellation'));
    log.info('task cancelled');
    await this.cancelFlowChildren(task.id);
    return toTaskModel(task);
  }

  private async cancelFlowChildren(parentTaskId: string): Promise<void> {
    const children = await this.tasks.list({ parentTaskId, status: UNFINISHED_TASK_STATUSES }, { first: 500 });
    for (const { node: child } of children.edges) {
      if (child.labels?.[FLOW_CHILD_LABEL] === undefined) continue;
      await this.cancel(child.id).catch((error: unknown) => {
        // Finished meanwhile: nothing left to cancel.
        if (!(error instanceof TaskStateError)) throw error;
      });
    }
  }
}

export function requireTaskId(id: string, field = 'id'): string {
  if (!isUuid(id)) throw badUserInput(`${field}: ${JSON.stringify(id)} is not a task id (a UUID)`, { field });
  return id;
}

/** A labels filter is checked like labels themselves (parseTaskLabels), its problems named under filter.labels. */
function labelFilter(labels: unknown): Record<string, string> {
  try {
    return parseTaskLabels(labels);
  } catch (error) {
    throw badUserInput(`filter.${(error as Error).message}`, { field: 'filter.labels' });
  }
}
