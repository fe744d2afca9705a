import { loadApiConfig, startApi, type ApiHandle } from '@bulkhead/api';
import { loadPluginPackages, registryOf } from '@bulkhead/builtin-plugins';
import { applySecretFiles, createLogger } from '@bulkhead/common';
import { ApiTokenStore, AuditLogStore, connectDatabase, runMigrations } from '@bulkhead/persistence';
import { concurrencyFromConfig, loadWorkerConfig, startWorker, stopOnSignals, type WorkerHost } from '@bulkhead/worker';
import { CliError, ExitCode, printNotice, type CliIo } from '../cli-io';
import { SERVE_ROLES, type ServeOptions, type ServeRole } from './serve-options';

export interface ServeHandle {
  api?: ApiHandle;
  worker?: WorkerHost;
  stop(): Promise<void>;
}

/** Starts the chosen role(s) and installs SIGTERM/SIGINT handlers that stop them gracefully. */
export async function serve(options: ServeOptions, io: CliIo, { installSignalHandlers = true } = {}): Promise<ServeHandle> {
  if (!(SERVE_ROLES as readonly string[]).includes(options.role)) throw new CliError(`unknown --role ${JSON.stringify(options.role)}: use ${SERVE_ROLES.join(', ')}`, ExitCode.usage);
  const role = options.role as ServeRole;
  const port = options.port === undefined ? undefined : Number(options.port);
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) throw new CliError(`--port must be 0-65535, got ${options.port}`, ExitCode.usage);

  // <NAME>_FILE: credentials from mounted Secret files (docker/kubernetes), before any configuration is read.
  applySecretFiles();
  const logger = createLogger('bulkhead');
  const apiConfig = loadApiConfig();
  const workerConfig = loadWorkerConfig();
  const plugins = loadPluginPackages(workerConfig.BULKHEAD_PLUGINS);
  const registry = registryOf(plugins);
  // One connection pool for both roles; migrations run once, under an advisory lock.
  const dataSource = await connectDatabase({ url: workerConfig.DATABASE_URL, schema: workerConfig.DATABASE_SCHEMA });
  const handle: ServeHandle = {
    stop: async () => {
      await handle.api?.close();
      await handle.worker?.stop();
      if (dataSource.isInitialized) await dataSource.destroy();
    },
  };
  try {
    await runMigrations(dataSource);
    if (role !== 'api') {
      handle.worker = await startWorker({
        registry,
        database: { dataSource },
        redisUrl: workerConfig.REDIS_URL,
        queuePrefix: workerConfig.BULKHEAD_QUEUE_PREFIX,
        concurrency: concurrencyFromConfig(workerConfig),
        shutdownGraceMs: workerConfig.WORKER_SHUTDOWN_GRACE_MS,
        maxChildTasks: workerConfig.BULKHEAD_MAX_CHILD_TASKS,
        reconcileIntervalMs: workerConfig.WORKER_RECONCILE_INTERVAL_MS,
        lockDurationMs: workerConfig.WORKER_LOCK_DURATION_MS,
        stalledIntervalMs: workerConfig.WORKER_STALLED_INTERVAL_MS,
        maxStalledCount: workerConfig.WORKER_MAX_STALLED_COUNT,
        migrate: false,
        logger: logger.child({ role: 'worker' }),
      });
    }
    if (role !== 'worker') {
      // A fresh installation gets one admin token, printed here once (never logged, never shown again).
      const first = await new ApiTokenStore(dataSource).createFirstAdmin();
      if (first) {
        await new AuditLogStore(dataSource).append({ tokenId: null, tokenName: null, team: first.token.team, operation: 'token.create', details: { id: first.token.id, name: first.token.name, role: 'admin', firstAdmin: true }, outcome: 'ok', userAgent: 'bulkhead serve' });
        io.err(
          `bulkhead: no API token existed, so one admin token (team ${first.token.team}, id ${first.token.id}) was created. Its secret is shown only now:\n\n` +
            `    ${first.secret}\n\n` +
            'Send it as `Authorization: Bearer <secret>` (or --token / BULKHEAD_TOKEN); make more with `bulkhead token create` or the createApiToken mutation.',
        );
      }
      handle.api = await startApi({ registry, plugins, config: apiConfig, port, host: options.host, dataSource, logger: logger.child({ role: 'api' }) });
      printNotice(io, `bulkhead: GraphQL API at ${handle.api.url}/graphql${handle.worker ? ' (with an in-process worker)' : ''}`);
    } else {
      printNotice(io, `bulkhead: worker serving ${handle.worker?.kinds.join(', ')}`);
    }
  } catch (error) {
    await handle.stop().catch(() => undefined);
    throw error;
  }
  if (installSignalHandlers) stopOnSignals(() => handle.stop(), logger);
  return handle;
}
