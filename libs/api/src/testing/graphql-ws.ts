import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { defaultToken, type RequestAs } from './graphql-http';

/**
 * A graphql-ws client (the `graphql-transport-ws` protocol) for integration tests; dispose() it
 * in teardown. It authenticates in connection_init with the API's registered token (or `as.token`; null: none).
 */
export function subscriptionClient(baseUrl: string, as: RequestAs = {}): Client {
  const token = as.token === undefined ? defaultToken(baseUrl) : as.token;
  return createClient({
    url: `${baseUrl.replace(/^http/, 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    lazy: true,
    retryAttempts: 0,
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
  });
}

/**
 * Collects every result of one subscription until the server completes it. Rejects on a
 * GraphQL or socket error, or when it does not complete within `timeoutMs`.
 */
export async function collectSubscription<T>(
  client: Client,
  query: string,
  variables: Record<string, unknown>,
  options: { timeoutMs?: number; onNext?: (value: T) => void } = {},
): Promise<T[]> {
  const results: T[] = [];
  let timer: NodeJS.Timeout | undefined;
  let unsubscribe: (() => void) | undefined;
  try {
    return await new Promise<T[]>((resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`subscription did not complete within ${options.timeoutMs ?? 60_000} ms; got ${JSON.stringify(results)}`)), options.timeoutMs ?? 60_000);
      unsubscribe = client.subscribe<T>(
        { query, variables },
        {
          next: (result) => {
            if (result.errors?.length) return reject(new Error(`subscription error: ${JSON.stringify(result.errors)}`));
            if (result.data) {
              results.push(result.data as T);
              options.onNext?.(result.data as T);
            }
          },
          error: (error) => reject(error instanceof Error ? error : new Error(JSON.stringify(error))),
          complete: () => resolve(results),
        },
      );
    });
  } finally {
    clearTimeout(timer);
    unsubscribe?.();
  }
}
