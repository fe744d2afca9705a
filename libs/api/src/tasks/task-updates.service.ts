import { Inject, Injectable } from '@nestjs/common';
import { isFinishedStatus, TaskStore } from '@bulkhead/persistence';
import { TaskEventsSubscriber, taskUpdateOf, type TaskUpdate as QueueTaskUpdate } from '@bulkhead/queue';
import { GraphQLError } from 'graphql';
import { TASK_EVENTS_SUBSCRIBER, TASK_STORE } from '../tokens';
import type { TaskUpdate } from './task.model';
import { requireTaskId } from './task.service';

/**
 * Live updates of one task, from Redis pub/sub (so any API replica serves any subscriber).
 * Subscribes first and then reads the row, so an update published in between is not lost and
 * a task that finished before the subscription still yields its final state.
 */
@Injectable()
export class TaskUpdatesService {
  constructor(
    @Inject(TASK_STORE) private readonly tasks: TaskStore,
    @Inject(TASK_EVENTS_SUBSCRIBER) private readonly subscriber: TaskEventsSubscriber,
  ) {}

  async updates(id: string): Promise<AsyncIterableIterator<TaskUpdate>> {
    const taskId = requireTaskId(id);
    const live = await this.subscriber.updates(taskId);
    const current = await this.tasks.get(taskId);
    if (!current) {
      await live.return?.();
      throw new GraphQLError(`task ${taskId} does not exist`, { extensions: { code: 'NOT_FOUND', taskId } });
    }
    return followTask(taskUpdateOf(current), live);
  }
}

/** The current state, then newer live updates, ending after the first finished state. */
async function* followTask(current: QueueTaskUpdate, live: AsyncIterableIterator<QueueTaskUpdate>): AsyncIterableIterator<TaskUpdate> {
  try {
    yield toTaskUpdateModel(current);
    if (isFinishedStatus(current.status)) return;
    for await (const update of live) {
      yield toTaskUpdateModel(update);
      if (isFinishedStatus(update.status)) return;
    }
  } finally {
    await live.return?.();
  }
}

function toTaskUpdateModel(update: QueueTaskUpdate): TaskUpdate {
  return {
    id: update.id,
    status: update.status,
    progress: update.progress,
    progressMessage: update.progressMessage,
    error: update.error,
    attempts: update.attempts,
    updatedAt: new Date(update.updatedAt),
    finished: isFinishedStatus(update.status),
  };
}
