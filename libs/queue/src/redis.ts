import { ServiceUnavailableError } from '@bulkhead/common';
import { Redis, type RedisOptions } from 'ioredis';

export type RedisRole = 'producer' | 'worker' | 'publisher' | 'subscriber';

/**
 * A connection we own (BullMQ never closes connections handed to it: whoever creates one
 * closes it). Workers and subscribers block, so they need `maxRetriesPerRequest: null`;
 * producers fail fast so that an API request does not hang while Redis is down.
 */
export function createRedis(url: string, role: RedisRole, extra: RedisOptions = {}): Redis {
  const blocking = role === 'worker' || role === 'subscriber';
  return new Redis(url, {
    maxRetriesPerRequest: blocking ? null : 1,
    connectionName: `bulkhead-${role}`,
    lazyConnect: false,
    ...extra,
  });
}

/** Redis is unreachable (see ServiceUnavailableError for the message's shape). */
export class RedisUnavailableError extends ServiceUnavailableError {
  override readonly name = 'RedisUnavailableError';
  constructor(url: string, cause: unknown) {
    super(
      { name: 'Redis', url, variable: 'REDIS_URL', howToStart: '`docker compose -f docker/compose.yaml up -d redis` or a local service (`redis-server --daemonize yes`)' },
      cause,
    );
  }
}

/** Checks that Redis answers PING within the timeout; throws RedisUnavailableError naming the URL. */
export async function checkRedis(url: string, timeoutMs = 5_000): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null, connectTimeout: timeoutMs });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    throw new RedisUnavailableError(url, error);
  } finally {
    // Disconnecting a socket that already ended arms ioredis' 2 s close timer for nothing,
    // which keeps a process (or a Jest run) alive after a failed check.
    if (redis.status !== 'end') redis.disconnect();
  }
}


/** Deletes every key under `prefix:` (what FLUSHALL means for a prefix-isolated installation). */
export async function deleteKeysWithPrefix(redis: Redis, prefix: string): Promise<number> {
  let deleted = 0;
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
    cursor = next;
    if (keys.length) deleted += await redis.del(...keys);
  } while (cursor !== '0');
  return deleted;
}
