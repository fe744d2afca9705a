import type { Redis } from 'ioredis';
import { createRedis } from './redis';

/*
 * What the installation-wide pub/sub channels (findings-raised, notifications-raised) share: a
 * publisher on a connection of its own, and a parser that trusts nothing it hears (any process
 * with the Redis password can publish, so a message is checked field by field after this).
 */

/** A channel message as a JSON object; undefined for malformed JSON or anything but an object. */
export function parseChannelObject(message: string): Record<string, unknown> | undefined {
  let value: unknown;
  try {
    value = JSON.parse(message);
  } catch {
    return undefined;
  }
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/** Publishes on one channel, on a Redis connection it owns and closes. */
export abstract class ChannelPublisher {
  protected readonly redis: Redis;

  protected constructor(
    readonly channel: string,
    redisUrl: string,
    connectionName: string,
  ) {
    this.redis = createRedis(redisUrl, 'publisher', { connectionName });
    // Errors surface on the publish calls that fail; without a listener ioredis would also print them.
    this.redis.on('error', () => undefined);
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }
}
