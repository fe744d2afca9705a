import { cacheExchange, Client, fetchExchange, subscriptionExchange } from 'urql';
import { createClient as createWsClient } from 'graphql-ws';

/**
 * One urql client per signed-in token: queries and mutations over HTTP POST /graphql (Bearer
 * header), subscriptions over graphql-ws on the same origin (the token in connection_init,
 * never in the URL). The WebSocket opens lazily, on the first subscription.
 */
export function createApiClient(token: string, origin: string = window.location.origin): { client: Client; dispose: () => void } {
  const wsUrl = `${origin.replace(/^http/, 'ws')}/graphql`;
  const ws = createWsClient({ url: wsUrl, connectionParams: { authorization: `Bearer ${token}` }, lazy: true, retryAttempts: 5 });
  const client = new Client({
    url: `${origin}/graphql`,
    preferGetMethod: false,
    fetchOptions: () => ({ headers: { authorization: `Bearer ${token}` }, credentials: 'omit' }),
    requestPolicy: 'cache-and-network',
    exchanges: [
      cacheExchange,
      fetchExchange,
      subscriptionExchange({
        forwardSubscription(request) {
          const input = { ...request, query: request.query ?? '' };
          return {
            subscribe(sink) {
              const unsubscribe = ws.subscribe(input, sink);
              return { unsubscribe };
            },
          };
        },
      }),
    ],
  });
  return { client, dispose: () => void ws.dispose() };
}
