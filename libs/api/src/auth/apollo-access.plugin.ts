import type { ApolloServerPlugin, GraphQLRequestContext } from '@apollo/server';
import type { AuditOutcome } from '@bulkhead/persistence';
import type { Principal } from '@bulkhead/plugin-sdk/api';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { LIMITER_UNAVAILABLE, type LimiterMarkedRequest } from '../host/http-hardening';
import { redactSensitiveArguments } from './audit-redaction';
import type { AuditWriter } from './audit-writer';
import { unauthenticated } from './auth-errors';
import type { AuthenticatedRequest } from './auth.middleware';

interface HttpContext {
  req?: AuthenticatedRequest & LimiterMarkedRequest;
}

/**
 * GraphQL over HTTP, before and after the resolvers:
 * - a request without a valid token is refused as a whole (401 UNAUTHENTICATED), introspection
 *   and `__typename` included: nothing of the API is served anonymously;
 * - a mutation the rate limiter could not count (Redis did not answer) is refused 503
 *   RATE_LIMITED; queries pass (see RedisRateLimiter);
 * - every mutation is written to the audit log once its response is ready, without delaying it
 *   (AuditWriter: written behind the response, concurrent requests' entries in one INSERT).
 */
export function accessPlugin(audit: AuditWriter): ApolloServerPlugin<HttpContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation(request) {
          const req = request.contextValue.req;
          if (!req?.principal) throw unauthenticated(req?.authProblem ?? 'authentication required: send an API token (Authorization: Bearer bhk_...)');
          if (req.rateLimiterUnavailable && request.operation?.operation === 'mutation') {
            throw new GraphQLError(LIMITER_UNAVAILABLE, { extensions: { code: 'RATE_LIMITED', http: { status: 503, headers: new Map([['retry-after', '5']]) } } });
          }
        },
        async willSendResponse(request) {
          if (request.operation?.operation !== 'mutation') return;
          const body = request.response.body;
          const errors = body.kind === 'single' ? body.singleResult.errors : undefined;
          auditMutation(audit, request, errors);
        },
      };
    },
  };
}

function auditMutation(audit: AuditWriter, request: GraphQLRequestContext<HttpContext>, errors: readonly GraphQLFormattedError[] | undefined): void {
  const req = request.contextValue.req;
  const principal: Principal | undefined = req?.principal;
  const fields = request.operation?.selectionSet.selections.flatMap((s) => (s.kind === 'Field' ? [s.name.value] : [])) ?? [];
  const codes = [...new Set((errors ?? []).map((e) => String(e.extensions?.['code'] ?? 'INTERNAL_SERVER_ERROR')))];
  const outcome: AuditOutcome = codes.length === 0 ? 'ok' : codes.includes('UNAUTHENTICATED') ? 'unauthenticated' : codes.includes('FORBIDDEN') ? 'forbidden' : 'error';
  const entry = {
    tokenId: principal?.tokenId ?? null,
    tokenName: principal?.name ?? null,
    team: principal?.team ?? null,
    operation: `mutation ${fields.join(',')}`,
    details: { operationName: request.operationName ?? null, ...redactSensitiveArguments(request.document, request.source ?? null, request.request.variables ?? {}) },
    outcome,
    error: codes.length ? codes.join(',') + ': ' + (errors ?? []).map((e) => e.message).join('; ').slice(0, 1000) : null,
    remoteAddress: req?.socket.remoteAddress ?? null,
    userAgent: typeof req?.headers['user-agent'] === 'string' ? req.headers['user-agent'] : null,
  };
  audit.append(entry);
}
