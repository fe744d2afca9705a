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

/**
 * SUBSCRIBE once the connection is ready. ioredis 5 writes SUBSCRIBE (a command Redis accepts
 * while loading) as soon as the socket connects, racing its own handshake (CLIENT SETINFO, the
 * INFO ready check; ioredis issue #2037, fixed in 6.0): on a loaded machine the subscription was
 * acknowledged here but never made on the server, and every message on the channel was lost.
 * Rejects if the connection ends before it is ready.
 */
export async function subscribeWhenReady(redis: Redis, ...channels: string[]): Promise<void> {
  if (redis.status !== 'ready') {
    if (redis.status === 'end') throw new Error('the Redis connection is closed');
    await new Promise<void>((resolve, reject) => {
      const ready = () => {
        redis.off('end', ended);
        resolve();
      };
      const ended = () => {
        redis.off('ready', ready);
        reject(new Error('the Redis connection closed before it was ready'));
      };
      redis.once('ready', ready);
      redis.once('end', ended);
      if (redis.status === 'wait') redis.connect().catch(() => undefined);
    });
  }
  await redis.subscribe(...channels);
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
