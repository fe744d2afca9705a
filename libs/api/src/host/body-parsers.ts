import type { NestExpressApplication } from '@nestjs/platform-express';
import { jsonNestingDepth, MAX_JSON_NESTING } from '@bulkhead/plugin-sdk/api';
import type { IncomingMessage } from 'node:http';

/** The only route whose bodies the host parses: GraphQL. Every other route reads its own stream. */
export const PARSED_BODY_ROUTE = '/graphql';

function routeOf(request: IncomingMessage): string {
  const url = request.url ?? '/';
  const end = url.search(/[?#]/);
  const path = end < 0 ? url : url.slice(0, end);
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
}

function mediaType(request: IncomingMessage): string {
  return (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

/**
 * Nest's default JSON and urlencoded parsers would read (and cap at 100 kB) every body,
 * including those of plugin HTTP routes (ingest endpoints whose senders dictate the format and
 * whose bodies are streams read with HostBodyReader). Registering the parsers ourselves, before
 * Nest would, replaces them (Nest skips a parser type already applied): same media types and
 * options as Nest's defaults, but only for /graphql; every other body is left unread.
 */
export function useBodyParsersForGraphqlOnly(app: NestExpressApplication, limitBytes: number): void {
  const isGraphql = (request: IncomingMessage): boolean => routeOf(request) === PARSED_BODY_ROUTE;
  app.useBodyParser('json', {
    limit: limitBytes,
    type: (request: IncomingMessage) => isGraphql(request) && mediaType(request) === 'application/json',
    verify: refuseDeepNesting,
  });
  app.useBodyParser('urlencoded', { limit: limitBytes, extended: true, depth: 8, type: (request: IncomingMessage) => isGraphql(request) && mediaType(request) === 'application/x-www-form-urlencoded' });
}

/** Variables nested deeper than MAX_JSON_NESTING are refused (400) before JSON.parse and the resolvers walk them. */
function refuseDeepNesting(_request: IncomingMessage, _response: unknown, body: Buffer): void {
  if (jsonNestingDepth(body, MAX_JSON_NESTING) > MAX_JSON_NESTING) {
    throw Object.assign(new Error(`request body is nested deeper than ${MAX_JSON_NESTING} levels`), { status: 400, expose: true });
  }
}
