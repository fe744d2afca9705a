import { GraphQLError } from 'graphql';

/** The WWW-Authenticate challenge sent with every 401 (RFC 6750). */
export const BEARER_CHALLENGE = 'Bearer realm="bulkhead"';

/** No valid credentials: no token, or an unknown, revoked or expired one. HTTP 401 where the transport allows. */
export function unauthenticated(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'UNAUTHENTICATED', http: { status: 401, headers: new Map([['www-authenticate', BEARER_CHALLENGE]]) } } });
}

/** Valid credentials whose role is too low for the operation. */
export function forbidden(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'FORBIDDEN', http: { status: 403 } } });
}
