import { isFinishedStatus, TaskStatus, type TaskEntity } from '@bulkhead/persistence';
import type { Redis } from 'ioredis';
import { DEFAULT_QUEUE_PREFIX } from './job-options';
import { createRedis, subscribeWhenReady } from './redis';

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

/**
 * Where cancellations are announced to workers: one channel per installation, so that a worker
 * hears every cancellation with one subscription instead of every task's progress.
 */
export function taskCancelChannel(prefix: string): string {
  return `${prefix}:task-cancel`;
}

/**
 * Publishes task updates on Redis pub/sub so that every API replica can serve any subscriber.
 * A CANCELLED update also goes to the cancel channel (same pipeline), where the worker running
 * the task hears it and aborts it.
 */
export class TaskEventsPublisher {
  private readonly redis: Redis;
  private readonly prefix: string;

  constructor(settings: { redisUrl: string; prefix?: string }) {
    this.prefix = settings.prefix ?? DEFAULT_QUEUE_PREFIX;
    // Batched: the updates every task of this process publishes within one turn of the event
    // loop leave in one write (ioredis' auto-pipelining), in the order they were published.
    this.redis = createRedis(settings.redisUrl, 'publisher', { enableAutoPipelining: true });
    this.redis.on('error', () => undefined);
  }

  async publish(update: TaskUpdate): Promise<void> {
    const message = JSON.stringify(update);
    if (update.status !== TaskStatus.CANCELLED) {
      await this.redis.publish(taskEventsChannel(this.prefix, update.id), message);
      return;
    }
    const results = (await this.redis.pipeline().publish(taskEventsChannel(this.prefix, update.id), message).publish(taskCancelChannel(this.prefix), message).exec()) ?? [];
    const failed = results.find(([error]) => error);
    if (failed?.[0]) throw failed[0];
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
      await subscribeWhenReady(this.redis, channel);
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

/**
 * A worker's ear for cancellations: one subscription to the installation's cancel channel,
 * calling `onCancel(taskId)` for each cancelled task (whether or not this worker runs it).
 */
export class TaskCancellationListener {
  private readonly redis: Redis;
  private readonly channel: string;

  constructor(
    settings: { redisUrl: string; prefix?: string },
    private readonly onCancel: (taskId: string) => void,
    private readonly onError: (error: Error) => void = () => undefined,
  ) {
    this.channel = taskCancelChannel(settings.prefix ?? DEFAULT_QUEUE_PREFIX);
    this.redis = createRedis(settings.redisUrl, 'subscriber', { connectionName: 'bulkhead-task-cancel-subscriber' });
    // ioredis re-subscribes after a reconnect; a cancellation sent while disconnected is missed,
    // and the worker's check of the row (on progress and on failure) is the fallback.
    this.redis.on('error', (error: Error) => this.onError(error));
    this.redis.on('message', (channel: string, message: string) => {
      if (channel !== this.channel) return;
      let id: unknown;
      try {
        id = (JSON.parse(message) as Partial<TaskUpdate>).id;
      } catch {
        return;
      }
      if (typeof id === 'string') this.onCancel(id);
    });
  }

  /** Resolves once subscribed: cancellations published from then on are heard. */
  async start(): Promise<void> {
    await subscribeWhenReady(this.redis, this.channel);
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }
}
