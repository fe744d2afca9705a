import pino, { type Logger, type DestinationStream } from 'pino';

export type { Logger } from 'pino';

/**
 * Structured JSON logs (pino). Every line carries `service`; callers add `taskId` with
 * `logger.child({ taskId })` for every line about a task.
 */
export function createLogger(service: string, options: { level?: string; destination?: DestinationStream } = {}): Logger {
  const level = options.level ?? process.env['LOG_LEVEL'] ?? 'info';
  return pino({ base: { service }, level, timestamp: pino.stdTimeFunctions.isoTime }, options.destination ?? pino.destination(2));
}
