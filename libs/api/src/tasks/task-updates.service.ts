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

/**
 * The current state, then the live updates, ending after the first finished state. Written as an
 * iterator object rather than an async generator on purpose: a generator's return() waits for a
 * pending `await live.next()`, so a client that unsubscribes from a quiet task would keep its
 * Redis listener until the task's next update; here return() releases it at once.
 */
function followTask(current: QueueTaskUpdate, live: AsyncIterableIterator<QueueTaskUpdate>): AsyncIterableIterator<TaskUpdate> {
  let sentCurrent = false;
  let finished = false;
  const end = async (): Promise<IteratorResult<TaskUpdate>> => {
    finished = true;
    await live.return?.();
    return { value: undefined, done: true };
  };
  const iterator: AsyncIterableIterator<TaskUpdate> = {
    next: async () => {
      if (finished) return { value: undefined, done: true };
      let update: QueueTaskUpdate;
      if (!sentCurrent) {
        sentCurrent = true;
        update = current;
      } else {
        const result = await live.next();
        if (result.done || finished) return end();
        update = result.value;
      }
      if (isFinishedStatus(update.status)) await end();
      return { value: toTaskUpdateModel(update), done: false };
    },
    return: end,
    [Symbol.asyncIterator]: () => iterator,
  };
  return iterator;
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
