import type { NestExpressApplication } from '@nestjs/platform-express';
import type { IncomingMessage } from 'node:http';

/** Routes whose bodies the ingest controller reads as streams, with its own limits. */
export const INGEST_ROUTES: readonly string[] = ['/k8s-audit', '/events', '/falco-alerts'];

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
 * including the ingest routes'. Registering the parsers ourselves, before Nest would, replaces
 * them (Nest skips a parser type already applied): same media types and options as Nest's
 * defaults, but never for INGEST_ROUTES, whose streams are left unread for the controller.
 */
export function useBodyParsersExceptIngest(app: NestExpressApplication): void {
  const isIngest = (request: IncomingMessage): boolean => INGEST_ROUTES.includes(routeOf(request));
  app.useBodyParser('json', { type: (request: IncomingMessage) => !isIngest(request) && mediaType(request) === 'application/json' });
  app.useBodyParser('urlencoded', { extended: true, type: (request: IncomingMessage) => !isIngest(request) && mediaType(request) === 'application/x-www-form-urlencoded' });
}
