import type { Principal } from '@bulkhead/plugin-sdk/api';
import { execute, subscribe, type ExecutionArgs } from 'graphql';
import type { GraphQLWsSubscriptionsConfig } from '@nestjs/graphql';
import { CloseCode, type Context } from 'graphql-ws';
import type { IncomingMessage } from 'node:http';
import type WebSocket from 'ws';
import { requestContext } from '../host/request-context';
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

/**
 * graphql-ws authentication: the `connection_init` payload carries the token
 * (`{ authorization: "Bearer bhk_..." }` or `{ token: "bhk_..." }`); without a valid one the
 * socket is closed with 4401 Unauthorized before any subscription. Every subscription's resolver
 * and each event's execution then run inside the connection's request context.
 */
export function graphqlWsAccess(authenticator: Authenticator): GraphQLWsSubscriptionsConfig {
  const options = {
    onConnect: async (ctx: Context<Record<string, unknown> | undefined, unknown>) => {
      const extra = ctx.extra as WsExtra;
      const authentication = await authenticator.fromConnectionParams(ctx.connectionParams);
      if (!authentication.principal) {
        extra.socket.close(CloseCode.Unauthorized, 'Unauthorized');
        return false;
      }
      extra.principal = authentication.principal;
      return true;
    },
    context: (ctx: Context<Record<string, unknown> | undefined, unknown>): GraphqlAuthContext => graphqlContext({ extra: ctx.extra }),
    execute: (args: ExecutionArgs) => requestContext.run(principalOf(args), () => execute(args)),
    subscribe: (args: ExecutionArgs) => requestContext.run(principalOf(args), () => subscribe(args)),
  };
  // Nest types only a few graphql-ws options but hands the whole object to graphql-ws's useServer
  // (GqlSubscriptionService spreads it over its defaults), so context/execute/subscribe apply too.
  return options as GraphQLWsSubscriptionsConfig;
}

function principalOf(args: ExecutionArgs): Principal | undefined {
  return (args.contextValue as GraphqlAuthContext | undefined)?.principal;
}
