/*
 * Telling "the database is not there right now" apart from a bug. While Postgres restarts (a
 * failover, an upgrade, a crash), every request that needs it fails; a client must see that as
 * "retry shortly" (503, SERVICE_UNAVAILABLE) rather than as an internal error (500), which
 * retrying clients, kube-apiserver's webhook and load balancers treat as a fault of the request.
 */

/** Socket-level failures reaching the server. */
const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN']);
/**
 * Postgres SQLSTATEs of a server that is unavailable, not of a bad statement: class 08
 * (connection exception) and 57P01–57P03 (admin/crash shutdown, cannot connect now).
 */
const SQLSTATES = new Set(['08000', '08001', '08003', '08004', '08006', '57P01', '57P02', '57P03']);
/** node-postgres' own messages for a connection that went away or never came (they carry no code). */
const MESSAGES = [/^Connection terminated/, /^Client has encountered a connection error/, /timeout exceeded when trying to connect/, /^Connection terminated due to connection timeout/];

/** Whether an error (or what it wraps: TypeORM's driverError, an Error's cause) says the database is unreachable. */
export function isDatabaseUnavailable(error: unknown, depth = 0): boolean {
  if (typeof error !== 'object' || error === null || depth > 4) return false;
  const { code, message, driverError, cause, errors } = error as { code?: unknown; message?: unknown; driverError?: unknown; cause?: unknown; errors?: unknown };
  if (typeof code === 'string' && (CONNECTION_CODES.has(code) || SQLSTATES.has(code))) return true;
  if (typeof message === 'string' && MESSAGES.some((pattern) => pattern.test(message))) return true;
  // An AggregateError (node's connect to every address of a host) holds the socket errors.
  if (Array.isArray(errors) && errors.some((inner) => isDatabaseUnavailable(inner, depth + 1))) return true;
  return isDatabaseUnavailable(driverError, depth + 1) || isDatabaseUnavailable(cause, depth + 1);
}

/** What a client is told: no host, port or SQL, only that it may retry. */
export const DATABASE_UNAVAILABLE_MESSAGE = 'the database is unavailable; retry shortly';
/** Seconds a client is asked to wait (Retry-After). */
export const DATABASE_RETRY_AFTER_SECONDS = 5;
