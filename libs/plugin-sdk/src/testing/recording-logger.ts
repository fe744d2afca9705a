import type { TaskLogger } from '../logger';

export interface LogRecord {
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  /** The object logged plus the bindings of the child loggers it went through. */
  fields: Record<string, unknown>;
}

/** A TaskLogger that keeps every call, for assertions in tests. */
export class RecordingLogger implements TaskLogger {
  constructor(
    readonly records: LogRecord[] = [],
    private readonly bindings: Record<string, unknown> = {},
  ) {}

  debug(obj: object | string, msg?: string): void {
    this.record('debug', obj, msg);
  }
  info(obj: object | string, msg?: string): void {
    this.record('info', obj, msg);
  }
  warn(obj: object | string, msg?: string): void {
    this.record('warn', obj, msg);
  }
  error(obj: object | string, msg?: string): void {
    this.record('error', obj, msg);
  }
  child(bindings: Record<string, unknown>): TaskLogger {
    return new RecordingLogger(this.records, { ...this.bindings, ...bindings });
  }

  private record(level: LogRecord['level'], obj: object | string, msg?: string): void {
    const message = typeof obj === 'string' ? obj : (msg ?? '');
    this.records.push({ level, message, fields: typeof obj === 'string' ? { ...this.bindings } : { ...this.bindings, ...obj } });
  }
}
