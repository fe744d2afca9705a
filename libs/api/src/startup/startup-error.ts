/**
 * The API cannot start for a reason the operator must fix (unreachable Postgres or Redis, bad
 * configuration). Its message is meant to be printed as-is, without a stack trace.
 */
export class ApiStartupError extends Error {
  override readonly name = 'ApiStartupError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The URL without its password, safe for logs and error messages. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url;
  }
}

const HOW_TO_PROVIDE = {
  postgres:
    'Set DATABASE_URL to a reachable PostgreSQL server (postgres://user:password@host:5432/db): start the bundled one with ' +
    '`docker compose -f docker/compose.yaml up -d postgres`, or run a local PostgreSQL service.',
  redis:
    'Set REDIS_URL to a reachable Redis server (redis://host:6379): start the bundled one with ' +
    '`docker compose -f docker/compose.yaml up -d redis`, or run a local redis-server.',
} as const;

/** Wraps a connection failure in a message naming the service, the URL and how to provide one. */
export function unreachable(service: keyof typeof HOW_TO_PROVIDE, url: string, cause: unknown): ApiStartupError {
  const name = service === 'postgres' ? 'PostgreSQL' : 'Redis';
  const reason = describeError(cause);
  return new ApiStartupError(`cannot connect to ${name} at ${redactUrl(url)} (${reason}). ${HOW_TO_PROVIDE[service]}`, { cause });
}

function describeError(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) return describeError(error.errors[0]);
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    const message = error.message || error.name;
    return typeof code === 'string' && !message.includes(code) ? `${code}: ${message}` : message;
  }
  return String(error);
}
