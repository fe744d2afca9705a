import { createRedis, findingsRaisedChannel } from '@bulkhead/queue';

/* Helpers of the runtime API integration suites (the rest come from `@bulkhead/api/testing`). */

export const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';

/** API processes (replicas) subscribed to the installation's findings channel. */
export async function findingSubscribers(prefix: string): Promise<number> {
  const redis = createRedis(REDIS_URL, 'producer');
  try {
    const [, count] = (await redis.call('PUBSUB', 'NUMSUB', findingsRaisedChannel(prefix))) as [string, number];
    return Number(count);
  } finally {
    redis.disconnect();
  }
}

/** Waits until more than `moreThan` replicas hear the findings channel, so no announced alert is missed. */
export async function untilSubscribed(prefix: string, moreThan = 0): Promise<void> {
  const deadline = Date.now() + 10_000;
  while ((await findingSubscribers(prefix)) <= moreThan) {
    if (Date.now() > deadline) throw new Error('the alertRaised subscription did not reach Redis');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
