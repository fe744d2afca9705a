import { createLogger, type Logger } from '@bulkhead/common';
import { createRedis, findingsRaisedChannel } from '@bulkhead/queue';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

/*
 * Small helpers of the runtime API integration suites: the runtime plugin's GraphQL surface and
 * ingest endpoints, spoken to over HTTP and WebSocket as clients and senders do.
 */

export const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';

/** A real pino logger that writes nothing unless LOG_LEVEL asks for it (debugging a test). */
export function testLogger(): Logger {
  return createLogger('runtime-api-test', { level: process.env['LOG_LEVEL'] ?? 'silent' });
}

export interface GraphqlResponse<T> {
  data?: T;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
}

export async function graphql<T = Record<string, unknown>>(baseUrl: string, query: string, variables: Record<string, unknown> = {}): Promise<GraphqlResponse<T>> {
  const response = await fetch(`${baseUrl}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
  return (await response.json()) as GraphqlResponse<T>;
}

/** Like graphql() but fails on any error, returning data. */
export async function graphqlData<T = Record<string, unknown>>(baseUrl: string, query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const result = await graphql<T>(baseUrl, query, variables);
  if (result.errors?.length || !result.data) throw new Error(`GraphQL errors: ${JSON.stringify(result.errors ?? result)}`);
  return result.data;
}

/** A graphql-ws client; dispose() it in teardown. */
export function subscriptionClient(baseUrl: string): Client {
  return createClient({ url: `${baseUrl.replace(/^http/, 'ws')}/graphql`, webSocketImpl: WebSocket, lazy: true, retryAttempts: 0 });
}

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
