/** The structured logger a task receives; pino loggers satisfy it. */
export interface TaskLogger {
  debug(obj: object | string, msg?: string): void;
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
  child(bindings: Record<string, unknown>): TaskLogger;
}

/** A logger that drops everything: for tests and for library code called without one. */
export const silentLogger: TaskLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => silentLogger,
};
