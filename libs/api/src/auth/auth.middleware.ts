import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Principal } from '@bulkhead/plugin-sdk/api';
import { DATABASE_RETRY_AFTER_SECONDS, DATABASE_UNAVAILABLE_MESSAGE, isDatabaseUnavailable } from '../host/database-unavailable';
import { requestContext } from '../host/request-context';
import type { Authenticator } from './authenticator';

/** What the middleware leaves on the request for the guard, the GraphQL context and the audit log. */
export interface AuthenticatedRequest extends IncomingMessage {
  principal?: Principal;
  /** Why there is no principal (no header, unknown / revoked / expired token). */
  authProblem?: string;
}

/**
 * Runs first on every HTTP request: reads the bearer credential (if any) and serves the rest of
 * the request inside the request context of its principal. It refuses nothing itself: the
 * global AccessGuard and the GraphQL plugin decide per operation (health probes stay open).
 */
export function authenticationMiddleware(authenticator: Authenticator) {
  return (req: AuthenticatedRequest, res: ServerResponse, next: (error?: unknown) => void): void => {
    authenticator.fromHeader(req.headers.authorization).then(
      (authentication) => {
        if (authentication.principal) req.principal = authentication.principal;
        else req.authProblem = authentication.problem;
        requestContext.run(authentication.principal, () => next());
      },
      (error: unknown) => {
        // The token lookup needs Postgres: while it is down, say "retry" (503), not "bug" (500).
        if (isDatabaseUnavailable(error)) refuseUnavailable(res);
        else next(error);
      },
    );
  };
}

function refuseUnavailable(res: ServerResponse): void {
  res.statusCode = 503;
  res.setHeader('Retry-After', String(DATABASE_RETRY_AFTER_SECONDS));
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.end(JSON.stringify({ errors: [{ message: DATABASE_UNAVAILABLE_MESSAGE, extensions: { code: 'SERVICE_UNAVAILABLE' } }] }));
}
