import { ApiStartupError, loadApiConfig, startApi } from '@bulkhead/api';
import { loadPluginPackages, PluginLoadError, registryOf } from '@bulkhead/builtin-plugins';
import { applySecretFiles, ConfigError, createLogger } from '@bulkhead/common';

/**
 * The API on its own (N replicas behind a load balancer), configured by environment variables:
 * `node dist/apps/api/src/main.js`. `bulkhead serve` in apps/cli starts the same API beside a
 * worker in one process.
 */
async function main(): Promise<void> {
  // <NAME>_FILE: credentials from mounted Secret files, before any configuration is read.
  applySecretFiles();
  const config = loadApiConfig();
  const logger = createLogger('api');
  const plugins = loadPluginPackages(config.BULKHEAD_PLUGINS);
  const api = await startApi({ config, registry: registryOf(plugins), plugins, logger });

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(130);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down');
    api.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'error during shutdown');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((error: unknown) => {
  // Problems the operator must fix (configuration, unreachable Postgres/Redis, a plugin package)
  // are one clear line; anything else is a bug and gets its stack.
  const expected = [ConfigError, ApiStartupError, PluginLoadError].some((type) => error instanceof type);
  process.stderr.write(`bulkhead api: ${expected ? (error as Error).message : String((error as Error)?.stack ?? error)}\n`);
  process.exit(1);
});
