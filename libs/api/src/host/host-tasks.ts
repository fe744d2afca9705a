import type { TaskEntity, TaskFilter as StoreTaskFilter, TaskStatus as StoredTaskStatus, TaskStore } from '@bulkhead/persistence';
import type { HostTask, HostTaskFilter, HostTasks, Page, PageRequest, SubmitTaskRequest } from '@bulkhead/plugin-sdk/api';
import type { TaskSubmitter } from '@bulkhead/queue';

/** HostTasks over the task store and the submitter (validation, labels, dedup, queueing). */
export class StoreHostTasks implements HostTasks {
  constructor(private readonly deps: { tasks: TaskStore; submitter: TaskSubmitter }) {}

  async submit(request: SubmitTaskRequest): Promise<HostTask> {
    const { task } = await this.deps.submitter.submit({
      kind: request.kind,
      type: request.type,
      input: request.input,
      ...(request.labels ? { labels: request.labels } : {}),
      ...(request.parentTaskId ? { parentTaskId: request.parentTaskId } : {}),
    });
    return hostTaskOf(task);
  }

  async get(id: string): Promise<HostTask | null> {
    const task = await this.deps.tasks.get(id);
    return task ? hostTaskOf(task) : null;
  }

  async list(filter: HostTaskFilter, page: PageRequest = {}): Promise<Page<HostTask>> {
    if (filter.types?.length === 0 || filter.statuses?.length === 0) return { items: [], cursors: [], totalCount: 0, hasNextPage: false, endCursor: null };
    const storeFilter: StoreTaskFilter = {
      ...(filter.kind ? { kind: filter.kind } : {}),
      ...(filter.types ? { types: filter.types } : {}),
      ...(filter.statuses ? { status: filter.statuses as readonly StoredTaskStatus[] } : {}),
      ...(filter.labels ? { labels: filter.labels } : {}),
    };
    const [connection, totalCount] = await Promise.all([
      this.deps.tasks.list(storeFilter, { ...(page.first !== undefined ? { first: page.first } : {}), ...(page.after ? { after: page.after } : {}) }),
      this.deps.tasks.count(storeFilter),
    ]);
    return {
      items: connection.edges.map((edge) => hostTaskOf(edge.node)),
      cursors: connection.edges.map((edge) => edge.cursor),
      totalCount,
      hasNextPage: connection.pageInfo.hasNextPage,
      endCursor: connection.pageInfo.endCursor,
    };
  }
}

export function hostTaskOf(task: TaskEntity): HostTask {
  return {
    id: task.id,
    kind: task.kind,
    type: task.type,
    pluginId: task.pluginId,
    pluginVersion: task.pluginVersion,
    status: task.status,
    progress: task.progress,
    progressMessage: task.progressMessage,
    attempts: task.attempts,
    input: task.input,
    result: task.result,
    error: task.error,
    labels: task.labels,
    parentTaskId: task.parentTaskId,
    artifactId: task.artifactId,
    createdAt: task.createdAt,
    updatedAt: task.updatedAt,
    startedAt: task.startedAt,
    finishedAt: task.finishedAt,
  };
}
