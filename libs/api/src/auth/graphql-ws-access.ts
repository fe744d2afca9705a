import type { Principal } from '@bulkhead/plugin-sdk/api';
import { execute, subscribe, type ExecutionArgs } from 'graphql';
import type { GraphQLWsSubscriptionsConfig } from '@nestjs/graphql';
import { CloseCode, type Context } from 'graphql-ws';
import type { IncomingMessage } from 'node:http';
import type WebSocket from 'ws';
import type { RedisRateLimiter } from '../host/http-hardening';
import { requestContext } from '../host/request-context';
import { unauthenticated } from './auth-errors';
import type { GraphqlAuthContext } from './access.guard';
import type { AuthenticatedRequest } from './auth.middleware';
import type { Authenticator } from './authenticator';

/** What graphql-ws's `ws` adapter passes as `extra`, plus the principal connection_init established. */
interface WsExtra {
  socket: WebSocket;
  request: IncomingMessage;
  principal?: Principal;
}

/**
 * The GraphQL context: for HTTP, the request with what the authentication middleware found; for
 * graphql-ws (called with the connection's context), the principal connection_init established.
 */
export function graphqlContext(source: { req?: AuthenticatedRequest; extra?: unknown }): GraphqlAuthContext {
  if (source.req) return { req: source.req, principal: source.req.principal, authProblem: source.req.authProblem };
  return { principal: (source.extra as WsExtra | undefined)?.principal };
}

/** Close code of a graphql-ws connection attempt over the rate limit (4xxx: the application's range; 429 as in HTTP). */
export const WS_RATE_LIMITED = 4429;

/**
 * graphql-ws authentication: the `connection_init` payload carries the token
 * (`{ authorization: "Bearer bhk_..." }` or `{ token: "bhk_..." }`); without a valid one the
 * socket is closed with 4401 Unauthorized before any subscription. Every subscription's resolver
 * and each event's execution then run inside the connection's request context.
 *
 * Connection attempts count against the HTTP rate limit's Redis counters (same limit and
 * window, their own keys): per client address before the token is even looked at (so guessing
 * tokens over graphql-ws is as slow as over HTTP), then per token. Over either, the socket is
 * closed with 4429 and a message saying when to retry.
 */
export function graphqlWsAccess(authenticator: Authenticator, recheckMs: number, limiter?: RedisRateLimiter): GraphQLWsSubscriptionsConfig {
  const limited = async (extra: WsExtra, key: string): Promise<boolean> => {
    const retryAfter = await limiter?.admits(key);
    if (retryAfter === undefined) return false;
    extra.socket.close(WS_RATE_LIMITED, `Too many connection attempts: retry in ${retryAfter} s`);
    return true;
  };
  const options = {
    onConnect: async (ctx: Context<Record<string, unknown> | undefined, unknown>) => {
      const extra = ctx.extra as WsExtra;
      if (await limited(extra, `ws-ip:${extra.request.socket.remoteAddress ?? 'unknown'}`)) return false;
      const authentication = await authenticator.fromConnectionParams(ctx.connectionParams);
      if (!authentication.principal) {
        extra.socket.close(CloseCode.Unauthorized, 'Unauthorized');
        return false;
      }
      if (await limited(extra, `ws-token:${authentication.principal.tokenId}`)) return false;
      extra.principal = authentication.principal;
      watchToken(authenticator, extra, authentication.principal.tokenId, recheckMs);
      return true;
    },
    // A token revoked or expired since connection_init: no new subscription, and the socket closes.
    onSubscribe: async (ctx: Context<Record<string, unknown> | undefined, unknown>) => {
      const extra = ctx.extra as WsExtra;
      const problem = extra.principal ? await authenticator.problemSince(extra.principal.tokenId) : 'authentication required';
      if (!problem) return undefined;
      extra.socket.close(CloseCode.Unauthorized, 'Unauthorized');
      return [unauthenticated(problem)];
    },
    context: (ctx: Context<Record<string, unknown> | undefined, unknown>): GraphqlAuthContext => graphqlContext({ extra: ctx.extra }),
    execute: (args: ExecutionArgs) => requestContext.run(principalOf(args), () => execute(args)),
    subscribe: async (args: ExecutionArgs) => {
      const principal = principalOf(args);
      const result = await requestContext.run(principal, () => subscribe(args));
      return isAsyncIterable(result) ? withContext(result, principal) : result;
    },
  };
  // Nest types only a few graphql-ws options but hands the whole object to graphql-ws's useServer
  // (GqlSubscriptionService spreads it over its defaults), so context/execute/subscribe apply too.
  return options as GraphQLWsSubscriptionsConfig;
}

/**
 * Long-lived subscriptions (alertRaised) must not outlive their token: the connection re-checks
 * it every `intervalMs` (BULKHEAD_WS_TOKEN_RECHECK_MS) and closes with 4401 once it is revoked or expired.
 */
function watchToken(authenticator: Authenticator, extra: WsExtra, tokenId: string, intervalMs: number): void {
  const timer = setInterval(() => {
    authenticator.problemSince(tokenId).then(
      (problem) => {
        if (problem) extra.socket.close(CloseCode.Unauthorized, 'Unauthorized');
      },
      () => undefined, // Postgres unreachable for a moment: keep the connection, check again later.
    );
  }, intervalMs);
  timer.unref();
  extra.socket.once('close', () => clearInterval(timer));
}

function isAsyncIterable<T>(value: unknown): value is AsyncGenerator<T> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}

/**
 * graphql-ws pulls a subscription's events from its own message loop, outside the request
 * context; each pull (the source's next(), then the event's execution) runs in it here, so
 * resolvers and host capabilities see the principal for every event, not only the first call.
 */
function withContext<T>(source: AsyncGenerator<T>, principal: Principal | undefined): AsyncGenerator<T> {
  const wrapped: AsyncGenerator<T> = {
    next: (...args) => requestContext.run(principal, () => source.next(...args)),
    return: (value) => requestContext.run(principal, () => source.return(value)),
    throw: (error) => requestContext.run(principal, () => source.throw(error)),
    [Symbol.asyncIterator]: () => wrapped,
    [Symbol.asyncDispose]: async () => {
      await wrapped.return(undefined as never);
    },
  };
  return wrapped;
}

function principalOf(args: ExecutionArgs): Principal | undefined {
  return (args.contextValue as GraphqlAuthContext | undefined)?.principal;
}
