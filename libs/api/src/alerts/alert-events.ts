import type { Logger } from '@bulkhead/common';
import { parseFalcoAlert } from '@bulkhead/plugin-runtime';
import { AlertPublisher, alertsChannel, createRedis, parseRaisedAlertMessage } from '@bulkhead/queue';
import type { Redis } from 'ioredis';
import type { StoredAlert } from './alert-store';

/** Alerts kept per slow subscriber; beyond this the oldest are dropped (they stay queryable). */
const MAX_BUFFERED = 1000;

interface Listener {
  push(alert: StoredAlert): void;
}

/**
 * New alerts over Redis pub/sub (the queue library's alert channel), so that an alert stored by
 * any API replica, or inserted by a worker's runtime task, reaches the `alertRaised` subscribers
 * of every replica. One publisher and one subscriber connection per process; the subscriber
 * connection subscribes while at least one local listener exists.
 */
export class AlertEvents {
  private readonly publisher: AlertPublisher;
  private subscriber: Redis | undefined;
  private subscribing: Promise<unknown> | undefined;
  private readonly listeners = new Set<Listener>();
  private readonly channel: string;

  constructor(
    private readonly settings: { redisUrl: string; prefix: string },
    private readonly logger: Logger,
  ) {
    this.channel = alertsChannel(settings.prefix);
    this.publisher = new AlertPublisher({ redisUrl: settings.redisUrl, prefix: settings.prefix, connectionName: 'bulkhead-api-alerts-publisher' });
  }

  /** Publishes in one pipeline. Failing to publish never loses an alert: it is already stored. */
  async publish(alerts: readonly StoredAlert[]): Promise<void> {
    await this.publisher.publish(alerts);
  }

  /** Every alert published from now on, until the consumer stops iterating. */
  async subscribe(): Promise<AsyncIterableIterator<StoredAlert>> {
    const buffer: StoredAlert[] = [];
    let wake: (() => void) | undefined;
    let done = false;
    let dropped = 0;
    const listener: Listener = {
      push: (alert) => {
        buffer.push(alert);
        if (buffer.length > MAX_BUFFERED) {
          buffer.shift();
          if (dropped++ % MAX_BUFFERED === 0) this.logger.warn({ dropped }, 'alertRaised subscriber too slow: oldest alerts dropped from its stream');
        }
        wake?.();
      },
    };
    this.listeners.add(listener);
    try {
      await this.ensureSubscribed();
    } catch (error) {
      this.listeners.delete(listener);
      throw error;
    }
    const finish = async (): Promise<IteratorResult<StoredAlert>> => {
      done = true;
      buffer.length = 0;
      wake?.();
      this.listeners.delete(listener);
      if (this.listeners.size === 0) await this.release();
      return { value: undefined, done: true };
    };
    const iterator: AsyncIterableIterator<StoredAlert> = {
      next: async () => {
        while (!done) {
          const alert = buffer.shift();
          if (alert) return { value: alert, done: false };
          await new Promise<void>((resolve) => (wake = resolve));
          wake = undefined;
        }
        return { value: undefined, done: true };
      },
      // Returns at once, even while next() waits: an unsubscribing client frees its listener now.
      return: finish,
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }

  private ensureSubscribed(): Promise<unknown> {
    if (!this.subscriber) {
      const subscriber = createRedis(this.settings.redisUrl, 'subscriber', { connectionName: 'bulkhead-api-alerts-subscriber' });
      subscriber.on('error', (error: Error) => this.logger.warn({ err: error.message }, 'alert subscriber connection error'));
      subscriber.on('message', (channel: string, message: string) => {
        if (channel !== this.channel) return;
        const wire = parseRaisedAlertMessage(message);
        if (!wire) return;
        // Runtime findings carry the Falco alert alertToFinding made of them as their data; a
        // runtime finding of another shape (a third-party plugin's) is not an alert to push.
        const parsed = parseFalcoAlert(wire.alert);
        if (!('alert' in parsed)) return;
        const alert: StoredAlert = { ...wire, alert: parsed.alert, firstSeenAt: new Date(wire.firstSeenAt), lastSeenAt: new Date(wire.lastSeenAt) };
        for (const listener of this.listeners) listener.push(alert);
      });
      this.subscriber = subscriber;
      this.subscribing = subscriber.subscribe(this.channel).catch(async (error: unknown) => {
        // Not cached: the next subscription tries a fresh connection.
        if (this.subscriber === subscriber) await this.release();
        throw error;
      });
    }
    return this.subscribing ?? Promise.resolve();
  }

  private async release(): Promise<void> {
    const subscriber = this.subscriber;
    this.subscriber = undefined;
    this.subscribing = undefined;
    subscriber?.disconnect();
  }

  async close(): Promise<void> {
    this.listeners.clear();
    await this.release();
    await this.publisher.close();
  }
}
