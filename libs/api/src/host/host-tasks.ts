import type { TaskEntity, TaskFilter as StoreTaskFilter, TaskStatus as StoredTaskStatus, TaskStore } from '@bulkhead/persistence';
import { BadInputError, type PluginRegistry } from '@bulkhead/plugin-sdk';
import type { HostTask, HostTaskFilter, HostTasks, Page, PageRequest, SubmitTaskRequest } from '@bulkhead/plugin-sdk/api';
import type { TaskSubmitter } from '@bulkhead/queue';
import type { DataSource } from 'typeorm';
import { countTasks } from '../graphql/counts';

/*
 * Task rows do not yet carry labels, the plugin id and version, a parent task or a produced
 * artifact (the data model's task columns come with the lifecycle work of issue 7 part 4).
 * Until then the plugin is the one that handles the task type now, and asking to store or
 * filter by labels or a parent is refused rather than silently ignored.
 */
const NOT_STORED_YET = 'task labels and parent tasks are not stored by this version of the platform';

/** HostTasks over the task store and the submitter (validation, dedup, queueing). */
export class StoreHostTasks implements HostTasks {
  constructor(
    private readonly deps: { tasks: TaskStore; submitter: TaskSubmitter; registry: PluginRegistry; dataSource: DataSource },
  ) {}

  async submit(request: SubmitTaskRequest): Promise<HostTask> {
    if ((request.labels && Object.keys(request.labels).length > 0) || request.parentTaskId) throw new BadInputError(NOT_STORED_YET);
    const { task } = await this.deps.submitter.submit({ kind: request.kind, type: request.type, input: request.input });
    return this.toHostTask(task);
  }

  async get(id: string): Promise<HostTask | null> {
    const task = await this.deps.tasks.get(id);
    return task ? this.toHostTask(task) : null;
  }

  async list(filter: HostTaskFilter, page: PageRequest = {}): Promise<Page<HostTask>> {
    if (filter.labels && Object.keys(filter.labels).length > 0) throw new BadInputError(NOT_STORED_YET);
    if (filter.types && filter.types.length > 1) throw new BadInputError('tasks can be listed for one type at a time');
    if (filter.types?.length === 0 || filter.statuses?.length === 0) return { items: [], cursors: [], totalCount: 0, hasNextPage: false, endCursor: null };
    const storeFilter: StoreTaskFilter = {
      ...(filter.kind ? { kind: filter.kind } : {}),
      ...(filter.types?.[0] ? { type: filter.types[0] } : {}),
      ...(filter.statuses ? { status: filter.statuses as readonly StoredTaskStatus[] } : {}),
    };
    const [connection, totalCount] = await Promise.all([
      this.deps.tasks.list(storeFilter, { ...(page.first !== undefined ? { first: page.first } : {}), ...(page.after ? { after: page.after } : {}) }),
      countTasks(this.deps.dataSource, storeFilter),
    ]);
    return {
      items: connection.edges.map((edge) => this.toHostTask(edge.node)),
      cursors: connection.edges.map((edge) => edge.cursor),
      totalCount,
      hasNextPage: connection.pageInfo.hasNextPage,
      endCursor: connection.pageInfo.endCursor,
    };
  }

  private toHostTask(task: TaskEntity): HostTask {
    const plugin = this.deps.registry.findTask(task.kind, task.type)?.plugin.manifest;
    return {
      id: task.id,
      kind: task.kind,
      type: task.type,
      pluginId: plugin?.id ?? null,
      pluginVersion: plugin?.version ?? null,
      status: task.status,
      input: task.input,
      result: task.result,
      error: task.error,
      labels: {},
      parentTaskId: null,
      artifactId: null,
      createdAt: task.createdAt,
      finishedAt: task.finishedAt,
    };
  }
}
