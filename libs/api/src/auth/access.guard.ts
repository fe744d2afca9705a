import { ForbiddenException, Injectable, SetMetadata, UnauthorizedException, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { GqlExecutionContext, type GqlContextType } from '@nestjs/graphql';
import { INGEST_ROUTE, REQUIRED_ROLE, roleAllows, type Principal, type Role } from '@bulkhead/plugin-sdk/api';
import type { GraphQLResolveInfo } from 'graphql';
import { BEARER_CHALLENGE, forbidden, unauthenticated } from './auth-errors';
import type { AuthenticatedRequest } from './auth.middleware';

/** Host-only: a plain HTTP route open to anyone (the health probes, which carry no data). Not in the SDK. */
export const PUBLIC_ROUTE = 'bulkhead:public-route';
export const PublicRoute = () => SetMetadata(PUBLIC_ROUTE, true);

/** What a GraphQL resolver's context carries (HTTP: from the middleware; graphql-ws: from connection_init). */
export interface GraphqlAuthContext {
  principal?: Principal;
  authProblem?: string;
  req?: AuthenticatedRequest;
}

/** The role an operation needs when nothing marks it: closed by default. */
export function defaultRole(operation: 'query' | 'subscription' | 'mutation' | 'http' | 'ingest'): Role {
  if (operation === 'query' || operation === 'subscription') return 'viewer';
  if (operation === 'ingest') return 'operator';
  return 'admin';
}

/**
 * The global guard: every GraphQL root field (query, mutation, subscription) and every plain
 * HTTP route needs a principal whose role reaches the operation's RequireRole (or the default
 * above). No or bad credentials → UNAUTHENTICATED / 401 with a Bearer challenge; too low a role →
 * FORBIDDEN / 403.
 *
 * Field resolvers (@ResolveField on an object type, a plugin's included) pass through it too
 * (`fieldResolverEnhancers`): a field marked RequireRole needs that role wherever its type is
 * returned, and the refusal is a FORBIDDEN error on that field (null in the data, the rest of the
 * answer served). An unmarked field resolver needs viewer, the least any request has. The mark
 * applies to resolver methods: a plain @Field property has no resolver to guard, so a field
 * that only some roles may see gets a @ResolveField.
 */
@Injectable()
export class AccessGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const targets = [context.getHandler(), context.getClass()];
    const marked = this.reflector.getAllAndOverride<Role | undefined>(REQUIRED_ROLE, targets);
    if (context.getType<GqlContextType>() === 'graphql') {
      const gql = GqlExecutionContext.create(context);
      const info = gql.getInfo<GraphQLResolveInfo>();
      const auth = gql.getContext<GraphqlAuthContext>();
      const principal = auth.principal ?? auth.req?.principal;
      // A field of an object type (not a root field) is read as part of whatever returned it: a query's default.
      const operation = info.parentType.name === 'Mutation' ? 'mutation' : info.parentType.name === 'Subscription' ? 'subscription' : 'query';
      const needed = marked ?? defaultRole(operation);
      if (!principal) throw unauthenticated(auth.authProblem ?? auth.req?.authProblem ?? 'authentication required');
      if (!roleAllows(principal.role, needed)) throw forbidden(`${info.fieldName} needs the ${needed} role; this token has ${principal.role}`);
      return true;
    }
    if (context.getType() !== 'http') return false;
    if (this.reflector.getAllAndOverride<boolean | undefined>(PUBLIC_ROUTE, targets)) return true;
    const http = context.switchToHttp();
    const req = http.getRequest<AuthenticatedRequest>();
    const ingest = this.reflector.getAllAndOverride<boolean | undefined>(INGEST_ROUTE, targets) === true;
    const needed = marked ?? defaultRole(ingest ? 'ingest' : 'http');
    if (!req.principal) {
      http.getResponse<{ setHeader(name: string, value: string): void }>().setHeader('WWW-Authenticate', BEARER_CHALLENGE);
      throw new UnauthorizedException(req.authProblem ?? 'authentication required');
    }
    if (!roleAllows(req.principal.role, needed)) throw new ForbiddenException(`this route needs the ${needed} role; this token has ${req.principal.role}`);
    return true;
  }
}
