/** Hides the password of a connection URL in messages and logs. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url;
  }
}

/**
 * A backing service (Postgres, Redis) cannot be reached. The message is for an operator: it
 * names the URL (without its password), the variable that sets it, and how to start one.
 */
export class ServiceUnavailableError extends Error {
  constructor(service: { name: string; url: string; variable: string; howToStart: string }, cause: unknown) {
    super(
      `cannot connect to ${service.name} at ${redactUrl(service.url)} (${cause instanceof Error ? cause.message : String(cause)}). ` +
        `Set ${service.variable} to a reachable ${service.name}, or start one: ${service.howToStart}.`,
      { cause },
    );
  }
}
