import { DatabaseUnavailableError, PluginMigrationError } from '@bulkhead/persistence';
import { PluginStartupError } from '@bulkhead/plugin-sdk/api';
import { RedisUnavailableError } from '@bulkhead/queue';
import { DeliveryRetentionError } from '../notify/delivery-retention';
import { NotifySecretError } from '../notify/secret-box';

/**
 * The API cannot start for a reason the operator must fix (unreachable Postgres or Redis, a port
 * in use). Its message is meant to be printed as-is, without a stack trace.
 */
export class ApiStartupError extends Error {
  override readonly name = 'ApiStartupError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * Turns the libraries' "service unavailable" errors (which already name the URL and how to
 * provide the service), a failed plugin migration (naming plugin and step), a plugin module
 * that cannot start (PluginStartupError, e.g. a rules file error) and a busy port into
 * ApiStartupError; anything else is a bug and passes through with its stack.
 */
export function asStartupError(error: unknown, listen: { port: number; host: string }): unknown {
  if (error instanceof DatabaseUnavailableError || error instanceof RedisUnavailableError || error instanceof PluginMigrationError || error instanceof PluginStartupError || error instanceof NotifySecretError || error instanceof DeliveryRetentionError) {
    return new ApiStartupError(error.message, { cause: error });
  }
  if ((error as NodeJS.ErrnoException | undefined)?.code === 'EADDRINUSE') {
    return new ApiStartupError(`port ${listen.port} on ${listen.host} is already in use: set PORT (and HOST) to a free one`, { cause: error });
  }
  return error;
}
