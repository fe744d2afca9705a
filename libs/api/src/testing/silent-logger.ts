import { createLogger, type Logger } from '@bulkhead/common';

/** A real pino logger that writes nothing unless LOG_LEVEL asks for it (debugging a test). */
export function silentLogger(): Logger {
  return createLogger('api-test', { level: process.env['LOG_LEVEL'] ?? 'silent' });
}
