import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from '@bulkhead/common';
import { unreachable } from './startup-error';

const CONNECT_TIMEOUT_MS = 5000;

/**
 * Checks once, without retrying, that Redis answers at `url`; an unreachable server becomes an
 * ApiStartupError naming the URL and how to provide one (instead of ioredis retrying forever).
 */
export async function assertRedisReachable(url: string): Promise<void> {
  const probe = new Redis(url, { lazyConnect: true, connectTimeout: CONNECT_TIMEOUT_MS, retryStrategy: () => null, maxRetriesPerRequest: 0 });
  let lastError: unknown;
  probe.on('error', (error: unknown) => {
    lastError = error;
  });
  try {
    await probe.connect();
    await probe.ping();
    await probe.quit();
  } catch (error) {
    // disconnect() on an already closed socket leaves a 2 s timer behind (ioredis waits for a
    // 'close' event that already happened), which keeps short-lived processes alive.
    if (probe.status !== 'end') probe.disconnect();
    throw unreachable('redis', url, lastError ?? error);
  }
}

/**
 * A long-lived connection that reconnects on its own after start-up; errors are logged rather
 * than crashing the process (readiness reports them).
 */
export function createRedisConnection(url: string, logger: Logger, options: RedisOptions = {}): Redis {
  const redis = new Redis(url, { connectTimeout: CONNECT_TIMEOUT_MS, ...options });
  redis.on('error', (error: Error) => logger.warn({ err: error.message }, 'redis connection error'));
  return redis;
}
