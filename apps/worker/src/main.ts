import { loadPlugins, PluginLoadError } from '@bulkhead/builtin-plugins';
import { applySecretFiles, ConfigError, createLogger } from '@bulkhead/common';
import { DatabaseUnavailableError } from '@bulkhead/persistence';
import { RedisUnavailableError } from '@bulkhead/queue';
import { concurrencyFromConfig, loadWorkerConfig, startWorker, stopOnSignals } from '@bulkhead/worker';

/** Standalone worker: `node dist/apps/worker/src/main.js`, configured by environment variables. */
async function main(): Promise<void> {
  // <NAME>_FILE: credentials from mounted Secret files, before any configuration is read.
  applySecretFiles();
  const config = loadWorkerConfig();
  const logger = createLogger('worker');
  const registry = loadPlugins(config.BULKHEAD_PLUGINS);
  const host = await startWorker({
    registry,
    database: { url: config.DATABASE_URL, schema: config.DATABASE_SCHEMA },
    redisUrl: config.REDIS_URL,
    queuePrefix: config.BULKHEAD_QUEUE_PREFIX,
    concurrency: concurrencyFromConfig(config),
    shutdownGraceMs: config.WORKER_SHUTDOWN_GRACE_MS,
    maxChildTasks: config.BULKHEAD_MAX_CHILD_TASKS,
    reconcileIntervalMs: config.WORKER_RECONCILE_INTERVAL_MS,
    lockDurationMs: config.WORKER_LOCK_DURATION_MS,
    stalledIntervalMs: config.WORKER_STALLED_INTERVAL_MS,
    maxStalledCount: config.WORKER_MAX_STALLED_COUNT,
    migrate: config.WORKER_MIGRATE,
    logger,
  });
  stopOnSignals(() => host.stop(), logger);
  logger.info({ kinds: host.kinds, pid: process.pid }, 'worker ready');
}

main().catch((error: unknown) => {
  // Start-up problems a user can fix get one clear line; anything else gets the stack.
  const expected = [ConfigError, DatabaseUnavailableError, RedisUnavailableError, PluginLoadError].some((type) => error instanceof type);
  process.stderr.write(`bulkhead worker: ${expected ? (error as Error).message : String((error as Error)?.stack ?? error)}\n`);
  process.exit(1);
});
