import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { GraphQLModule } from '@nestjs/graphql';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { createLogger, type Logger } from '@bulkhead/common';
import { ApiTokenStore, AuditLogStore, connectDatabase, DataSourcePluginDatabase, FindingCountFolder, ImageStore, runMigrations, runPluginMigrations, SuppressionExpirySweeper, TaskStore, UploadStore } from '@bulkhead/persistence';
import type { PluginRegistry } from '@bulkhead/plugin-sdk';
import { checkRedis, createRedis, NotificationsPublisher, ServerInputPolicy, TaskEventsPublisher, TaskEventsSubscriber, TaskQueues, withPlatformTasks } from '@bulkhead/queue';
import type { Redis } from 'ioredis';
import type { AddressInfo } from 'node:net';
import type { DataSource } from 'typeorm';
import { ScheduleRunner } from './schedules/schedule-runner';
import { ApiModule } from './api.module';
import { authenticationMiddleware } from './auth/auth.middleware';
import { AuditWriter } from './auth/audit-writer';
import { Authenticator } from './auth/authenticator';
import { TokenCache, TokenChangeListener } from './auth/token-cache';
import { loadApiConfig, type ApiConfig } from './config';
import { useBodyParsersForGraphqlOnly } from './host/body-parsers';
import { checkWebSocketOrigin, jsonErrorHandler, limitWebSocketMessages, RedisRateLimiter, refuseSimpleCrossSiteBodies, securityHeaders } from './host/http-hardening';
import { StreamedBodyReader } from './host/body-reader';
import { QuotaTaskSubmitter, TokenTaskQuota } from './host/task-quota';
import { RedisFindingEvents } from './host/finding-events';
import { StoreHostArtifacts } from './host/host-artifacts';
import { PostgresHostFindings } from './host/host-findings';
import { StoreHostTasks } from './host/host-tasks';
import { requestScopedServices } from './host/host-services';
import type { HostCapabilities } from './host/host.module';
import { requestContext } from './host/request-context';
import { requestTeam } from './host/request-team';
import { loadPluginApis, pluginNestModules, type ApiPluginPackage } from './plugin-apis/load-plugin-apis';
import { mountOperationsRoutes } from './metrics/operations-routes';
import { NestPinoLogger } from './startup/nest-logger';
import { asStartupError } from './startup/startup-error';
import { ensurePrivateFolder } from './uploads/upload-folder';
import { UploadService } from './uploads/upload.service';
import { UploadSweeper } from './uploads/upload-sweeper';
import { NotificationChannelStore } from './notify/channel-store';
import { NotifyDeliveryQueue } from './notify/delivery-queue';
import { notificationsEnabled, notifyDestinationPolicyFromEnv } from './notify/destination-policy';
import { NotificationDispatcher } from './notify/dispatcher';
import { PublishingHostNotifications } from './notify/host-notifications';
import { NOTIFY_SECRET_KEY_SETTING, NotifySecretBox } from './notify/secret-box';
import { DeliveryLogSweeper, deliveryRetentionDaysFromEnv } from './notify/delivery-retention';
import { consoleDirectory, mountConsole } from './console/console-static';

/** How often finding-count deltas are folded: reads add the unfolded ones, so this bounds their number, not accuracy. */
const FINDING_COUNT_FOLD_MS = 1000;
/** How often lapsed suppressions are reopened: an expiry takes effect within this time. */
const SUPPRESSION_SWEEP_MS = 5000;

export interface StartApiOptions {
  /** The loaded plugins (built-ins plus BULKHEAD_PLUGINS), shared with an in-process worker. */
  registry: PluginRegistry;
  /**
   * The packages of those plugins whose `api` entries the API loads (their Nest modules,
   * migrations, configuration). Default: none (the registry's tasks only).
   */
  plugins?: readonly ApiPluginPackage[];
  /** Where configuration is read from (the core's unless `config` is given, and every plugin's); default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Validated configuration; default: read from `env` with loadApiConfig. */
  config?: ApiConfig;
  /** Override config PORT (0 = an ephemeral port, for tests). */
  port?: number;
  /** Override config HOST. */
  host?: string;
  /** What task inputs may reach on this server; default: BULKHEAD_ALLOWED_PATHS and BULKHEAD_ENABLE_... from `env`. */
  inputs?: ServerInputPolicy;
  logger?: Logger;
  /**
   * An initialised, migrated data source to share (e.g. with the worker in `bulkhead serve`).
   * When omitted, startApi connects to DATABASE_URL, runs migrations, and closes it in close().
   */
  dataSource?: DataSource;
  /**
   * The Redis connection the rate limiter counts in (default: the API's own connection to
   * REDIS_URL). Tests point it at a closed port to see the limiter's failure mode.
   */
  rateLimitRedis?: Redis;
}

export interface ApiHandle {
  app: INestApplication;
  /** Base URL, e.g. http://127.0.0.1:4000 (GraphQL and graphql-ws at `${url}/graphql`). */
  url: string;
  port: number;
  host: string;
  /** Stops the HTTP and WebSocket servers, then closes every connection startApi opened (not a shared data source). Idempotent. */
  close(): Promise<void>;
}

/**
 * Starts the GraphQL API: validates the core's and the plugin API entries' configuration,
 * connects to Postgres (running the core migrations, then the plugins') and Redis, then serves
 * /graphql (queries, mutations, graphql-ws subscriptions), /healthz, /readyz and what the
 * plugins' modules add. Unreachable services, a failed plugin migration or a busy port fail
 * with an ApiStartupError whose message is for the operator; a bad variable with a ConfigError.
 */
export async function startApi(options: StartApiOptions): Promise<ApiHandle> {
  const env = options.env ?? process.env;
  const config = options.config ?? loadApiConfig(env);
  const logger = options.logger ?? createLogger('api');
  const port = options.port ?? config.PORT;
  // The platform's own tasks (the canary probe) run whatever plugins are loaded.
  withPlatformTasks(options.registry);
  const host = options.host ?? config.HOST;
  const owned: (() => Promise<unknown>)[] = [];
  const closeOwned = async (): Promise<void> => {
    for (const close of owned.reverse()) await close().catch((error: unknown) => logger.warn({ err: (error as Error).message }, 'error while closing'));
    owned.length = 0;
  };

  try {
    // First: configuration errors are the operator's to fix, whatever the state of Postgres and Redis.
    const pluginApis = await loadPluginApis(options.plugins ?? [], env);
    const notifySecrets = NotifySecretBox.fromEnv(env);
    const notifyRetentionDays = deliveryRetentionDaysFromEnv(env);
    let dataSource = options.dataSource;
    if (!dataSource) {
      const connected = await connectDatabase({ url: config.DATABASE_URL, schema: config.DATABASE_SCHEMA });
      owned.push(() => connected.destroy());
      const ran = await runMigrations(connected);
      if (ran.length > 0) logger.info({ migrations: ran }, 'database migrations applied');
      dataSource = connected;
    }
    // After the core migrations, whoever ran those (a shared data source is migrated by its owner).
    const pluginSteps = await runPluginMigrations(
      dataSource,
      pluginApis.map(({ pluginId, api }) => ({ pluginId, migrations: api.migrations ?? [] })),
    );
    if (pluginSteps.length > 0) logger.info({ migrations: pluginSteps }, 'plugin migrations applied');
    if (await new ApiTokenStore(dataSource).none()) {
      logger.warn('no API token exists, so every request will be refused: create one with `bulkhead token create --team default --role admin` (`bulkhead serve` makes a first one itself)');
    }
    await checkRedis(config.REDIS_URL);
    const queueSettings = { redisUrl: config.REDIS_URL, prefix: config.BULKHEAD_QUEUE_PREFIX };
    // Auto-pipelined: the rate limiter's and the task quota's commands of concurrent requests share writes.
    const redis: Redis = createRedis(config.REDIS_URL, 'producer', { connectionName: 'bulkhead-api-readiness', enableAutoPipelining: true });
    redis.on('error', (error: Error) => logger.warn({ err: error.message }, 'redis connection error'));
    owned.push(async () => redis.disconnect());
    const queues = new TaskQueues(queueSettings);
    owned.push(() => queues.close());
    const taskEventsSubscriber = new TaskEventsSubscriber(queueSettings);
    owned.push(() => taskEventsSubscriber.close());
    const taskEventsPublisher = new TaskEventsPublisher(queueSettings);
    owned.push(() => taskEventsPublisher.close());
    // One accessor of the request's team for every store and capability (they serve every team's requests).
    const team = requestTeam(requestContext);
    // The policy's upload folder is where uploads are stored: the worker accepts files there for the task's team.
    const inputs = options.inputs ?? ServerInputPolicy.fromEnv(config.BULKHEAD_UPLOAD_DIR ? { ...env, BULKHEAD_UPLOAD_DIR: config.BULKHEAD_UPLOAD_DIR } : env);
    await ensurePrivateFolder(inputs.uploadDir);
    const uploads = new UploadService(
      new UploadStore(dataSource, team),
      { folderOf: (t) => inputs.teamUploadDir(t), maxBytes: config.BULKHEAD_MAX_UPLOAD_BYTES, teamQuotaBytes: config.BULKHEAD_UPLOAD_TEAM_QUOTA_BYTES, ttlMs: config.BULKHEAD_UPLOAD_TTL_HOURS * 3_600_000 },
      logger,
    );
    const sweeper = new UploadSweeper(dataSource, inputs.uploadDir, (t) => inputs.teamUploadDir(t), logger);
    sweeper.start(config.BULKHEAD_UPLOAD_SWEEP_SECONDS * 1000);
    owned.push(() => sweeper.stop());
    // Finding counters: deltas the writers appended are folded in here (one replica at a time).
    const folder = new FindingCountFolder(dataSource, (error) => logger.warn({ err: (error as Error).message }, 'could not fold finding counts'));
    folder.start(FINDING_COUNT_FOLD_MS);
    owned.push(() => folder.stop());
    // Suppressions whose expiry passed: the findings are OPEN again (finding-suppression.ts).
    const expirySweeper = new SuppressionExpirySweeper(dataSource, (error) => logger.warn({ err: (error as Error).message }, 'could not reopen expired suppressions'));
    expirySweeper.start(SUPPRESSION_SWEEP_MS);
    owned.push(() => expirySweeper.stop());
    const taskQuota = new TokenTaskQuota({ redis, dataSource, logger, settings: { maxUnfinished: config.BULKHEAD_MAX_QUEUED_TASKS_PER_TOKEN, prefix: config.BULKHEAD_QUEUE_PREFIX } });
    // Postgres first, Redis after: start() reconciles the job schedulers from the schedule rows.
    const schedules = new ScheduleRunner({
      quota: taskQuota,
      dataSource,
      registry: options.registry,
      queues,
      inputs,
      redisUrl: config.REDIS_URL,
      prefix: config.BULKHEAD_QUEUE_PREFIX,
      logger,
      reconcileMs: config.BULKHEAD_SCHEDULE_RECONCILE_SECONDS * 1000,
    });
    owned.push(() => schedules.close());
    await schedules.start();
    const submitter = new QuotaTaskSubmitter(
      { registry: options.registry, tasks: new TaskStore(dataSource, team), queues, inputs, uploads: uploads.resolver(team), logger },
      taskQuota,
    );
    const findingEvents = new RedisFindingEvents(queueSettings, logger, team);
    owned.push(() => findingEvents.close());
    const notificationsPublisher = new NotificationsPublisher({ ...queueSettings, connectionName: 'bulkhead-api-notifications-publisher' });
    owned.push(() => notificationsPublisher.close());
    const pluginDatabase = new DataSourcePluginDatabase(dataSource);
    const capabilities: HostCapabilities = {
      tasks: new StoreHostTasks({ tasks: new TaskStore(dataSource, team), submitter }),
      artifacts: new StoreHostArtifacts(new ImageStore(dataSource, team)),
      findings: new PostgresHostFindings(dataSource, findingEvents, logger, team),
      findingEvents,
      bodyReader: new StreamedBodyReader(config.BULKHEAD_MAX_EVENT_BODY_BYTES),
      database: pluginDatabase,
      logger,
      notifications: new PublishingHostNotifications(notificationsPublisher, team),
      services: requestScopedServices(options.registry, pluginDatabase, team),
    };
    const rateLimiter = new RedisRateLimiter(options.rateLimitRedis ?? redis, { requests: config.BULKHEAD_RATE_LIMIT, windowSeconds: config.BULKHEAD_RATE_LIMIT_WINDOW_SECONDS, prefix: config.BULKHEAD_QUEUE_PREFIX }, logger);
    // Notifications: channels in Postgres, deliveries through a BullMQ queue this process also
    // works (retries survive restarts), fed by the findings-raised channel.
    const notifyPolicy = notifyDestinationPolicyFromEnv(env);
    const notifyStore = new NotificationChannelStore(dataSource, notifySecrets);
    if (notifySecrets.configured) {
      const sealed = await notifyStore.sealLegacySecrets();
      if (sealed > 0) logger.info({ channels: sealed }, 'notification channel secrets stored before encryption are now sealed');
    } else {
      const legacy = await notifyStore.legacySecretCount();
      if (legacy > 0) logger.warn({ channels: legacy }, `${NOTIFY_SECRET_KEY_SETTING} is not set: ${legacy} webhook secret(s) stored before encryption stay in plaintext until it is`);
    }
    const deliverySweeper = new DeliveryLogSweeper(dataSource, notifyRetentionDays, logger);
    deliverySweeper.start(3_600_000);
    owned.push(() => deliverySweeper.stop());
    const notifyProducer = createRedis(config.REDIS_URL, 'producer', { connectionName: 'bulkhead-api-notify-producer' });
    const notifyWorker = createRedis(config.REDIS_URL, 'worker', { connectionName: 'bulkhead-api-notify-worker' });
    notifyProducer.on('error', (error: Error) => logger.warn({ err: error.message }, 'notify redis connection error'));
    notifyWorker.on('error', (error: Error) => logger.warn({ err: error.message }, 'notify redis connection error'));
    owned.push(async () => {
      notifyProducer.disconnect();
      notifyWorker.disconnect();
    });
    const notifyQueue = new NotifyDeliveryQueue({
      producer: notifyProducer,
      worker: notifyWorker,
      prefix: config.BULKHEAD_QUEUE_PREFIX,
      policy: notifyPolicy,
      resolveChannel: (id) => notifyStore.target(id),
      log: notifyStore,
    });
    owned.push(() => notifyQueue.close());
    if (notificationsEnabled(env)) {
      const notifyDispatcher = new NotificationDispatcher({ channels: notifyStore, queue: notifyQueue, logger });
      await notifyDispatcher.start(queueSettings);
      owned.push(() => notifyDispatcher.close());
    }
    const pluginModules = pluginNestModules(pluginApis, logger);
    // Valid tokens are cached for a few seconds while a LISTEN connection hears every change (token-cache.ts).
    const tokenCache = new TokenCache();
    const tokenChanges = new TokenChangeListener(dataSource, tokenCache, logger);
    await tokenChanges.start();
    owned.push(() => tokenChanges.close());
    const authenticator = new Authenticator(new ApiTokenStore(dataSource), logger, tokenCache);
    // Flushed after the app has closed (no more requests), before the connections go.
    const auditWriter = new AuditWriter(new AuditLogStore(dataSource), logger);
    owned.push(() => auditWriter.flush());
    // Run after the app has closed (owned closes in reverse): HTTP and subscriptions stop first.
    for (const { api, pluginId } of pluginApis) {
      const close = api.close?.bind(api);
      if (close) owned.push(() => close().catch((error: unknown) => logger.warn({ plugin: pluginId, err: (error as Error).message }, 'plugin close failed')));
    }

    const app = await NestFactory.create<NestExpressApplication>(
      ApiModule.forRoot({
        config,
        registry: options.registry,
        logger,
        dataSource,
        redis,
        queues,
        submitter,
        taskEventsSubscriber,
        taskEventsPublisher,
        host: capabilities,
        pluginModules,
        team,
        authenticator,
        tokenCache,
        auditWriter,
        uploads,
        rateLimiter,
        schedules,
        notify: { store: notifyStore, policy: notifyPolicy },
      }),
      {
        logger: new NestPinoLogger(logger),
        // Throw instead of calling process.exit: the caller (CLI, tests) decides what failure means.
        abortOnError: false,
      },
    );
    // Closed first: stop accepting requests and subscriptions before their connections go.
    owned.push(() => app.close());
    // Before Nest's routes, in this order: headers on every answer; the request's principal (if
    // its credentials are valid) and its request context; the rate limit (per token, else per
    // address); refusing simple cross-site bodies; the GraphQL body parsers.
    securityHeaders(app);
    // The web console's files (no principal needed: they hold no data); only GET/HEAD of its own paths.
    mountConsole(app, consoleDirectory(config.BULKHEAD_CONSOLE_DIR), logger);
    app.use(authenticationMiddleware(authenticator));
    app.use(rateLimiter.middleware());
    // GET /metrics and the /admin/queues dashboard: need the principal, so after authentication.
    mountOperationsRoutes(app, { dataSource, queues, logger, metricsToken: config.BULKHEAD_METRICS_TOKEN });
    refuseSimpleCrossSiteBodies(app);
    useBodyParsersForGraphqlOnly(app, config.BULKHEAD_MAX_GRAPHQL_BODY_BYTES);
    await app.init();
    // After Nest's routes and its graphql-ws upgrade listener exist.
    app.use(jsonErrorHandler(logger));
    checkWebSocketOrigin(app.getHttpServer(), config.BULKHEAD_ALLOWED_ORIGINS, logger);
    limitWebSocketMessages(app.get(GraphQLModule).graphQlAdapter, config.BULKHEAD_MAX_WS_MESSAGE_BYTES, logger);
    await app.listen(port, host);
    const address = app.getHttpServer().address() as AddressInfo;
    const url = `http://${displayHost(address)}:${address.port}`;
    logger.info({ url: `${url}/graphql`, plugins: options.registry.list().map((p) => p.manifest.id), pluginApis: pluginApis.map((p) => p.pluginId) }, 'api listening');

    let closing: Promise<void> | undefined;
    return { app, url, port: address.port, host, close: () => (closing ??= closeOwned()) };
  } catch (error) {
    await closeOwned();
    throw asStartupError(error, { port, host });
  }
}

/** A host clients can connect to: a wildcard bind address means "this machine". */
function displayHost(address: AddressInfo): string {
  if (address.address === '0.0.0.0' || address.address === '::') return '127.0.0.1';
  return address.family === 'IPv6' ? `[${address.address}]` : address.address;
}
