import { openSync } from 'node:fs';
import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger } from 'pino';

/**
 * Where log lines go by default: stderr, written asynchronously. A synchronous write per line
 * cost about 12% of a worker's CPU on the lightest tasks (issue 15): here lines are buffered and
 * written together, once 4 KB have gathered or at the latest 100 ms after the first one
 * (periodicFlush), so a quiet process still shows each line at once to the eye. pino writes
 * what is buffered synchronously on `exit` (also after an uncaught exception or
 * `process.exit()`) and on `beforeExit`; `flushLogs` is for code that must know the lines are
 * out (a crash report).
 */
/** Bytes gathered before a write, and the longest a line waits for one. */
export const LOG_BUFFER_BYTES = 4096;
export const LOG_FLUSH_MS = 100;

export function logDestination(dest: number | string = 2): DestinationStream & { flushSync(): void } {
  // A file is opened here, synchronously: a stream still opening cannot be flushed at exit.
  return pino.destination({ dest: typeof dest === 'string' ? openSync(dest, 'a', 0o600) : dest, sync: false, minLength: LOG_BUFFER_BYTES, periodicFlush: LOG_FLUSH_MS });
}

/**
 * Structured JSON logs (pino). Every line carries `service`; a line about a task carries
 * `taskId` once (a field of the call, or of a child logger made for a long-lived piece of work).
 */
export function createLogger(service: string, options: { level?: string; destination?: DestinationStream } = {}): Logger {
  const level = options.level ?? process.env['LOG_LEVEL'] ?? 'info';
  return pino({ base: { service }, level, timestamp: pino.stdTimeFunctions.isoTime }, options.destination ?? logDestination(2));
}

/** Writes out every line the logger has queued, synchronously (before an abrupt exit). */
export function flushLogs(logger: Logger): void {
  try {
    logger.flush();
    // pino's flush() of an asynchronous destination is itself asynchronous; reach the stream for a synchronous one.
    const stream = (logger as unknown as Record<symbol, unknown>)[pino.symbols.streamSym] as { flushSync?: () => void } | undefined;
    stream?.flushSync?.();
  } catch {
    // A write in flight or a closed stream: pino's exit handler flushes what is left.
  }
}
