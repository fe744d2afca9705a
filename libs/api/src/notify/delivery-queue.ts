import { createHash, randomUUID } from 'node:crypto';
import { Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { deliverOnce, DeliveryError, type NotificationChannelTarget } from './deliver';
import type { NotifyDestinationPolicy } from './destination-policy';
import type { NotificationEvent } from './messages';
import { NotifySecretError } from './secret-box';

export const NOTIFY_QUEUE = 'notify-deliveries';

/** What Redis holds for a delivery: the channel id, never its URL or secret (read at send time). */
interface DeliveryJob {
  deliveryId: string;
  channelId: string;
  event: NotificationEvent;
}

export interface DeliveryAttempt {
  deliveryId: string;
  channelId: string;
  eventType: NotificationEvent['type'];
  attempt: number;
  /** SUCCEEDED, RETRYING (another attempt is scheduled) or FAILED (final). */
  status: 'SUCCEEDED' | 'RETRYING' | 'FAILED';
  statusCode?: number;
  error?: string;
  durationMs: number;
  at: Date;
}

/** Where attempts are recorded (the delivery log behind `notificationDeliveries`). */
export interface DeliveryLog {
  record(attempt: DeliveryAttempt): Promise<void>;
}

export interface NotifyQueueOptions {
  producer: Redis;
  worker: Redis;
  prefix: string;
  policy: NotifyDestinationPolicy;
  /** The channel's current URL and (decrypted) secret; null when it was deleted meanwhile. */
  resolveChannel(channelId: string): Promise<NotificationChannelTarget | null>;
  log: DeliveryLog;
  attempts?: number;
  /** First retry delay; each next one doubles (BullMQ exponential backoff). */
  backoffMs?: number;
}

/**
 * Deliveries go through BullMQ so a receiver that is down does not block the producer (the finding
 * or gate path), and retries survive an API restart.
 */
export class NotifyDeliveryQueue {
  private readonly queue: Queue<DeliveryJob>;
  private readonly worker: Worker<DeliveryJob>;
  private readonly attempts: number;
  private readonly backoffMs: number;

  constructor(private readonly options: NotifyQueueOptions) {
    this.attempts = options.attempts ?? 6;
    this.backoffMs = options.backoffMs ?? 5_000;
    if (!Number.isInteger(this.attempts) || this.attempts < 1 || this.attempts > 20) throw new Error(`notify attempts=${this.attempts}: expected 1..20`);
    this.queue = new Queue<DeliveryJob>(NOTIFY_QUEUE, { connection: options.producer, prefix: options.prefix });
    this.worker = new Worker<DeliveryJob>(NOTIFY_QUEUE, (job) => this.process(job), { connection: options.worker, prefix: options.prefix, concurrency: 4 });
    this.worker.on('error', () => undefined);
  }

  /**
   * Queues one delivery of `event` to a channel; returns the delivery id. With `dedupeKey`, the id
   * is derived from it and the channel, so API replicas that all heard the same finding queue one
   * delivery (BullMQ ignores a job id it still holds).
   */
  async enqueue(channelId: string, event: NotificationEvent, dedupeKey?: string): Promise<string> {
    const deliveryId = dedupeKey ? uuidFrom(`${channelId}\n${dedupeKey}`) : randomUUID();
    await this.queue.add('deliver', { deliveryId, channelId, event }, {
      jobId: deliveryId,
      attempts: this.attempts,
      backoff: { type: 'exponential', delay: this.backoffMs },
      // Kept a day (by age) so that the dedupe above holds across replicas and restarts.
      removeOnComplete: { age: 86_400, count: 10_000 },
      removeOnFail: { age: 7 * 86_400, count: 10_000 },
    });
    return deliveryId;
  }

  async close(): Promise<void> {
    await this.worker.close();
    await this.queue.close();
  }

  private async process(job: Job<DeliveryJob>): Promise<void> {
    const { deliveryId, channelId, event } = job.data;
    const attempt = job.attemptsMade + 1;
    const started = Date.now();
    const record = (a: Omit<DeliveryAttempt, 'deliveryId' | 'channelId' | 'eventType' | 'attempt' | 'at' | 'durationMs'>): Promise<void> =>
      this.options.log.record({ deliveryId, channelId, eventType: event.type, attempt, at: new Date(), durationMs: Date.now() - started, ...a });
    let channel: NotificationChannelTarget | null;
    try {
      channel = await this.options.resolveChannel(channelId);
    } catch (error) {
      // The secret cannot be opened (key missing or wrong): no attempt can sign, so none is retried.
      if (!(error instanceof NotifySecretError)) throw error;
      await record({ status: 'FAILED', error: error.message });
      throw new UnrecoverableError(error.message);
    }
    if (!channel) {
      await record({ status: 'FAILED', error: 'channel no longer exists' });
      throw new UnrecoverableError('channel no longer exists');
    }
    try {
      const outcome = await deliverOnce(channel, event, deliveryId, this.options.policy);
      await record({ status: 'SUCCEEDED', statusCode: outcome.statusCode });
    } catch (error) {
      const failure = error instanceof DeliveryError ? error : new DeliveryError(String(error), true);
      const final = !failure.retryable || attempt >= this.attempts;
      await record({ status: final ? 'FAILED' : 'RETRYING', statusCode: failure.statusCode, error: failure.message });
      if (!failure.retryable) throw new UnrecoverableError(failure.message);
      throw failure;
    }
  }
}

/** A UUID-shaped id (v8 layout) from a SHA-256 of `key`: stable, and valid for the uuid column. */
export function uuidFrom(key: string): string {
  const h = createHash('sha256').update(key).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${((parseInt(h.slice(16, 17), 16) & 0x3) | 0x8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
