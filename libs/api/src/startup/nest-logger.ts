import type { LoggerService } from '@nestjs/common';
import type { Logger } from '@bulkhead/common';

/** Routes Nest's own log lines (module init, routes, errors) into the structured pino logger. */
export class NestPinoLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, ...rest: unknown[]): void {
    // Nest logs every mapped route at start-up; that is debug detail, not info.
    this.logger.debug(fields(rest), String(message));
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.logger.error(fields(rest), message instanceof Error ? message.message : String(message));
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.logger.warn(fields(rest), String(message));
  }
  debug(message: unknown, ...rest: unknown[]): void {
    this.logger.debug(fields(rest), String(message));
  }
  verbose(message: unknown, ...rest: unknown[]): void {
    this.logger.trace(fields(rest), String(message));
  }
}

/** Nest passes an optional stack and, last, the context (class name). */
function fields(rest: unknown[]): Record<string, unknown> {
  const strings = rest.filter((value): value is string => typeof value === 'string');
  const context = strings.at(-1);
  const stack = strings.length > 1 ? strings[0] : undefined;
  return { ...(context ? { context } : {}), ...(stack ? { stack } : {}) };
}
