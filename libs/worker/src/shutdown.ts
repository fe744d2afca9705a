import type { TaskLogger } from '@bulkhead/plugin-sdk';

/**
 * Stops `stop` on SIGTERM/SIGINT (once); a second signal exits at once. Returns a function that
 * removes the handlers.
 */
export function stopOnSignals(stop: () => Promise<void>, logger: TaskLogger, exit: (code: number) => void = (code) => process.exit(code)): () => void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      exit(130);
      return;
    }
    stopping = true;
    logger.info({ signal }, 'shutting down');
    stop().then(
      () => exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        exit(1);
      },
    );
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
  return () => {
    process.off('SIGTERM', handler);
    process.off('SIGINT', handler);
  };
}
