import type { Logger } from '@bulkhead/common';
import type { TeamAccessor } from '@bulkhead/persistence';
import type { FindingEvents, FindingFilter, StoredFinding } from '@bulkhead/plugin-sdk/api';
import { createRedis, findingsRaisedChannel, FindingsPublisher, parseRaisedFinding, subscribeWhenReady } from '@bulkhead/queue';
import type { Redis } from 'ioredis';

/** Findings kept per slow subscriber; beyond this the oldest are dropped (they stay queryable). */
export const MAX_BUFFERED_FINDINGS = 1000;

type EventFilter = Pick<FindingFilter, 'kinds' | 'ruleIds'>;

interface Listener {
  /** The subscriber's team: it hears only that team's findings. */
  team: string;
  filter: EventFilter;
  push(finding: StoredFinding): void;
}

function matches(filter: EventFilter, finding: StoredFinding): boolean {
  if (filter.kinds && !filter.kinds.includes(finding.kind)) return false;
  if (filter.ruleIds && !filter.ruleIds.includes(finding.ruleId)) return false;
  return true;
}

/**
 * FindingEvents over the installation's findings channel (libs/queue): a finding stored by any
 * worker's task or any API replica reaches the subscribers of every replica. One publisher and
 * one subscriber connection per process; the subscriber connection subscribes while at least
 * one local subscriber exists, so each message is heard once here and handed once to each
 * matching subscriber. A subscriber hears only the findings of its team: the team of the request
 * that subscribed (read once, at subscription).
 */
export class RedisFindingEvents implements FindingEvents {
  private readonly publisher: FindingsPublisher;
  private subscriber: Redis | undefined;
  private subscribing: Promise<unknown> | undefined;
  private readonly listeners = new Set<Listener>();
  private readonly channel: string;

  constructor(
    private readonly settings: { redisUrl: string; prefix: string },
    private readonly logger: Logger,
    private readonly team: TeamAccessor,
  ) {
    this.channel = findingsRaisedChannel(settings.prefix);
    this.publisher = new FindingsPublisher({ redisUrl: settings.redisUrl, prefix: settings.prefix, connectionName: 'bulkhead-api-findings-publisher' });
  }

  /** Announces newly stored findings of `team` to every replica. Stored already: the caller decides whether a failure matters. */
  async publish(team: string, findings: readonly StoredFinding[]): Promise<void> {
    await this.publisher.publish(team, findings);
  }

  subscribe(filter: EventFilter, signal: AbortSignal): AsyncIterableIterator<StoredFinding> {
    const buffer: StoredFinding[] = [];
    let wake: (() => void) | undefined;
    let done = false;
    let dropped = 0;
    const listener: Listener = {
      team: this.team(),
      filter,
      push: (finding) => {
        buffer.push(finding);
        if (buffer.length > MAX_BUFFERED_FINDINGS) {
          buffer.shift();
          if (dropped++ % MAX_BUFFERED_FINDINGS === 0) this.logger.warn({ dropped }, 'finding events subscriber too slow: oldest findings dropped from its stream');
        }
        wake?.();
      },
    };
    const finish = async (): Promise<IteratorResult<StoredFinding>> => {
      if (!done) {
        done = true;
        buffer.length = 0;
        wake?.();
        signal.removeEventListener('abort', onAbort);
        this.listeners.delete(listener);
        if (this.listeners.size === 0) await this.release();
      }
      return { value: undefined, done: true };
    };
    const onAbort = (): void => void finish();
    if (signal.aborted) done = true;
    else {
      signal.addEventListener('abort', onAbort, { once: true });
      this.listeners.add(listener);
    }
    // Subscribed before the first next() resolves; a failed subscription rejects that next().
    let ready: Promise<unknown> | undefined = done ? undefined : this.ensureSubscribed();
    ready?.catch(() => undefined); // reported by next(); never an unhandled rejection
    const iterator: AsyncIterableIterator<StoredFinding> = {
      next: async () => {
        if (ready) {
          const subscribing = ready;
          ready = undefined;
          try {
            await subscribing;
          } catch (error) {
            await finish();
            throw error;
          }
        }
        while (!done) {
          const finding = buffer.shift();
          if (finding) return { value: finding, done: false };
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

  /** Resolves once this process hears the channel (for tests and callers that must not miss a finding). */
  async ready(): Promise<void> {
    if (this.subscribing) await this.subscribing;
  }

  private ensureSubscribed(): Promise<unknown> {
    if (!this.subscriber) {
      const subscriber = createRedis(this.settings.redisUrl, 'subscriber', { connectionName: 'bulkhead-api-findings-subscriber' });
      subscriber.on('error', (error: Error) => this.logger.warn({ err: error.message }, 'findings subscriber connection error'));
      subscriber.on('message', (channel: string, message: string) => {
        if (channel !== this.channel) return;
        const raised = parseRaisedFinding(message);
        if (!raised) return;
        for (const listener of this.listeners) if (listener.team === raised.team && matches(listener.filter, raised.finding)) listener.push(raised.finding);
      });
      this.subscriber = subscriber;
      this.subscribing = subscribeWhenReady(subscriber, this.channel).catch(async (error: unknown) => {
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
