import { isFinishedStatus, type TaskEntity, type TaskStatus } from '@bulkhead/persistence';
import type { Redis } from 'ioredis';
import { DEFAULT_QUEUE_PREFIX } from './job-options';
import { createRedis } from './redis';

/** What subscribers of a task hear: its state after each change. */
export interface TaskUpdate {
  id: string;
  kind: string;
  type: string;
  status: TaskStatus;
  progress: number;
  progressMessage: string | null;
  error: string | null;
  attempts: number;
  /** ISO-8601. */
  updatedAt: string;
}

export function taskUpdateOf(task: TaskEntity): TaskUpdate {
  return {
    id: task.id,
    kind: task.kind,
    type: task.type,
    status: task.status,
    progress: task.progress,
    progressMessage: task.progressMessage,
    error: task.error,
    attempts: task.attempts,
    updatedAt: task.updatedAt.toISOString(),
  };
}

export function taskEventsChannel(prefix: string, taskId: string): string {
  return `${prefix}:task-events:${taskId}`;
}

/** Publishes task updates on Redis pub/sub so that every API replica can serve any subscriber. */
export class TaskEventsPublisher {
  private readonly redis: Redis;
  private readonly prefix: string;

  constructor(settings: { redisUrl: string; prefix?: string }) {
    this.prefix = settings.prefix ?? DEFAULT_QUEUE_PREFIX;
    this.redis = createRedis(settings.redisUrl, 'publisher');
    this.redis.on('error', () => undefined);
  }

  async publish(update: TaskUpdate): Promise<void> {
    await this.redis.publish(taskEventsChannel(this.prefix, update.id), JSON.stringify(update));
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }
}

/** Updates kept per slow subscriber; older progress updates are dropped first. */
const MAX_BUFFERED = 100;

interface Listener {
  push(update: TaskUpdate): void;
}

/**
 * One Redis subscriber connection shared by every subscription of this process. `updates(id)`
 * yields each update of one task and ends after its terminal state (or when the signal aborts,
 * or the consumer stops iterating).
 */
export class TaskEventsSubscriber {
  private readonly redis: Redis;
  private readonly prefix: string;
  private readonly listeners = new Map<string, Set<Listener>>();

  constructor(settings: { redisUrl: string; prefix?: string }) {
    this.prefix = settings.prefix ?? DEFAULT_QUEUE_PREFIX;
    this.redis = createRedis(settings.redisUrl, 'subscriber');
    this.redis.on('error', () => undefined);
    this.redis.on('message', (channel: string, message: string) => {
      const set = this.listeners.get(channel);
      if (!set) return;
      let update: TaskUpdate;
      try {
        update = JSON.parse(message) as TaskUpdate;
      } catch {
        return;
      }
      for (const listener of set) listener.push(update);
    });
  }

  async updates(taskId: string, signal?: AbortSignal): Promise<AsyncIterableIterator<TaskUpdate>> {
    const channel = taskEventsChannel(this.prefix, taskId);
    const buffer: TaskUpdate[] = [];
    let wake: (() => void) | undefined;
    let done = false;
    let terminalSeen = false;
    const listener: Listener = {
      push: (update) => {
        // Nothing follows a terminal state (a late progress write must not reopen the stream).
        if (terminalSeen) return;
        terminalSeen = isFinishedStatus(update.status);
        buffer.push(update);
        // Drop the oldest update; the terminal one is always last, so it is never dropped.
        if (buffer.length > MAX_BUFFERED) buffer.shift();
        wake?.();
      },
    };
    let set = this.listeners.get(channel);
    if (!set) {
      set = new Set();
      this.listeners.set(channel, set);
      await this.redis.subscribe(channel);
    }
    set.add(listener);

    const finish = async () => {
      if (done) return;
      done = true;
      wake?.();
      const current = this.listeners.get(channel);
      current?.delete(listener);
      if (current && current.size === 0) {
        this.listeners.delete(channel);
        await this.redis.unsubscribe(channel).catch(() => undefined);
      }
    };
    signal?.addEventListener('abort', () => void finish(), { once: true });

    const iterator: AsyncIterableIterator<TaskUpdate> = {
      next: async () => {
        while (!done || buffer.length > 0) {
          const update = buffer.shift();
          if (update) {
            if (isFinishedStatus(update.status)) await finish();
            return { value: update, done: false };
          }
          if (done) break;
          await new Promise<void>((resolve) => (wake = resolve));
          wake = undefined;
        }
        return { value: undefined, done: true };
      },
      return: async () => {
        buffer.length = 0;
        await finish();
        return { value: undefined, done: true };
      },
      [Symbol.asyncIterator]() {
        return iterator;
      },
    };
    return iterator;
  }

  async close(): Promise<void> {
    this.listeners.clear();
    this.redis.disconnect();
  }
}
