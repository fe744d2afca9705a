import type { TaskEntity } from '@bulkhead/persistence';
import type { Task } from './task.model';

/** Entity → GraphQL model: only the columns that are API (dedupKey stays internal). */
export function toTaskModel(entity: TaskEntity): Task {
  return {
    id: entity.id,
    artifactId: entity.artifactId,
    kind: entity.kind,
    type: entity.type,
    input: entity.input,
    pluginId: entity.pluginId,
    pluginVersion: entity.pluginVersion,
    labels: entity.labels,
    parentTaskId: entity.parentTaskId,
    status: entity.status,
    progress: entity.progress,
    progressMessage: entity.progressMessage,
    error: entity.error,
    attempts: entity.attempts,
    result: entity.result,
    createdAt: entity.createdAt,
    updatedAt: entity.updatedAt,
    startedAt: entity.startedAt,
    finishedAt: entity.finishedAt,
  };
}
