import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { Logger } from '@bulkhead/common';
import { PLUGIN_KINDS } from '@bulkhead/plugin-sdk';
import { roleAllows } from '@bulkhead/plugin-sdk/api';
import type { TaskQueues } from '@bulkhead/queue';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { DataSource } from 'typeorm';
import { BEARER_CHALLENGE } from '../auth/auth-errors';
import type { AuthenticatedRequest } from '../auth/auth.middleware';
import { PlatformMetrics } from './platform-metrics';

/** Where the queue dashboard is served. */
export const QUEUE_DASHBOARD_PATH = '/admin/queues';

export interface OperationsRouteOptions {
  dataSource: DataSource;
  queues: TaskQueues;
  logger: Logger;
  /** A dedicated scrape credential (BULKHEAD_METRICS_TOKEN); without it only admin API tokens may scrape. */
  metricsToken?: string;
}

interface ExpressLike {
  use(path: string, ...handlers: unknown[]): unknown;
  get?(path: string, ...handlers: unknown[]): unknown;
}

type Next = (error?: unknown) => void;

/**
 * Mounts the operator routes on the API's Express app, after the authentication middleware
 * (which leaves `req.principal`): `GET /metrics` (Prometheus) and the bull-board dashboard at
 * /admin/queues. Neither is ever anonymous: /metrics takes an admin API token or the dedicated
 * metrics token; the dashboard an admin API token only (it can retry and remove jobs).
 */
export function mountOperationsRoutes(app: ExpressLike, options: OperationsRouteOptions): void {
  const metrics = new PlatformMetrics(options.dataSource, options.queues);
  const metricsToken = options.metricsToken ? digest(options.metricsToken) : undefined;

  app.use('/metrics', (req: AuthenticatedRequest, res: ServerResponse, next: Next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    const presented = bearerOf(req.headers.authorization);
    const byMetricsToken = metricsToken !== undefined && presented !== undefined && timingSafeEqual(digest(presented), metricsToken);
    if (!byMetricsToken && !admitAdmin(req, res, '/metrics')) return;
    metrics.scrape().then(
      ({ contentType, body }) => {
        res.statusCode = 200;
        res.setHeader('Content-Type', contentType);
        res.setHeader('Cache-Control', 'no-store');
        res.end(req.method === 'HEAD' ? undefined : body);
      },
      (error: unknown) => {
        options.logger.warn({ err: (error as Error).message }, 'metrics scrape failed');
        sendJson(res, 503, { statusCode: 503, message: 'metrics unavailable: Postgres or Redis did not answer' });
      },
    );
  });

  const board = new ExpressAdapter();
  board.setBasePath(QUEUE_DASHBOARD_PATH);
  createBullBoard({ queues: PLUGIN_KINDS.map((kind) => new BullMQAdapter(options.queues.queue(kind))), serverAdapter: board });
  app.use(
    QUEUE_DASHBOARD_PATH,
    (req: AuthenticatedRequest, res: ServerResponse, next: Next) => {
      if (admitAdmin(req, res, QUEUE_DASHBOARD_PATH)) next();
    },
    board.getRouter(),
  );
}

/** 401 without a valid API token, 403 below admin; true when the request may go on. */
function admitAdmin(req: AuthenticatedRequest, res: ServerResponse, route: string): boolean {
  if (!req.principal) {
    res.setHeader('WWW-Authenticate', BEARER_CHALLENGE);
    sendJson(res, 401, { statusCode: 401, message: req.authProblem ?? 'authentication required' });
    return false;
  }
  if (!roleAllows(req.principal.role, 'admin')) {
    sendJson(res, 403, { statusCode: 403, message: `${route} needs the admin role; this token has ${req.principal.role}` });
    return false;
  }
  return true;
}

function bearerOf(header: string | undefined): string | undefined {
  const match = /^Bearer ([^\s]+)$/i.exec(header ?? '');
  return match?.[1];
}

/** Fixed-length digests, so the comparison is constant-time whatever the lengths. */
function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.end(JSON.stringify(body));
}
