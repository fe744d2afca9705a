import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { GraphQLModule } from '@nestjs/graphql';
import type { Logger } from '@bulkhead/common';
import { ApiTokenStore, AuditLogStore, FindingStore, FindingTrend, ImageStore, MAX_PAGE_SIZE, ScheduleStore, TaskLogStore, TaskStore, type TeamAccessor } from '@bulkhead/persistence';
import type { PluginRegistry } from '@bulkhead/plugin-sdk';
import type { TaskEventsPublisher, TaskEventsSubscriber, TaskQueues, TaskSubmitter } from '@bulkhead/queue';
import type { Redis } from 'ioredis';
import type { DataSource } from 'typeorm';
import { API_RESOLVERS } from './api.resolvers';
import { AccessGuard } from './auth/access.guard';
import { accessPlugin } from './auth/apollo-access.plugin';
import type { AuditWriter } from './auth/audit-writer';
import type { Authenticator } from './auth/authenticator';
import { graphqlContext, graphqlWsAccess } from './auth/graphql-ws-access';
import { CacheAwareTokenStore, type TokenCache } from './auth/token-cache';
import type { ApiConfig } from './config';
import { FindingService } from './findings/finding.service';
import { CompiledQueriesPlugin } from './graphql/compiled-queries';
import { DomainErrorFilter } from './graphql/errors';
import { formatGraphqlError, graphqlWsHooks, RequestLimitsPlugin } from './graphql/hardening';
import { dropPropertyResolvers } from './graphql/property-resolvers';
import { PARSE_MAX_TOKENS, type RequestLimits } from './graphql/request-limits';
import { HealthController } from './health/health.controller';
import { HostModule, type HostCapabilities } from './host/host.module';
import type { RedisRateLimiter } from './host/http-hardening';
import { ReadinessService } from './health/readiness.service';
import { ImageService } from './images/image.service';
import type { PluginNestModule } from './plugin-apis/load-plugin-apis';
import { PluginsService } from './plugins/plugins.service';
import type { ScheduleRunner } from './schedules/schedule-runner';
import { ScheduleService } from './schedules/schedule.service';
import { TaskService } from './tasks/task.service';
import { TaskLogService } from './tasks/task-log.service';
import { TaskUpdatesService } from './tasks/task-updates.service';
import { ProbeService } from './probe/probe.service';
import { DeepReadinessService } from './health/deep-readiness.service';
import { UploadController } from './uploads/upload.controller';
import type { UploadService } from './uploads/upload.service';
import {
  API_CONFIG,
  API_LOGGER,
  API_TOKEN_STORE,
  AUDIT_LOG_STORE,
  AUDIT_WRITER,
  RATE_LIMITER,
  DATA_SOURCE,
  FINDING_STORE,
  FINDING_TREND,
  IMAGE_STORE,
  PLUGIN_REGISTRY,
  REDIS,
  SCHEDULE_RUNNER,
  SCHEDULE_STORE,
  TASK_EVENTS_PUBLISHER,
  TASK_EVENTS_SUBSCRIBER,
  TASK_QUEUES,
  TASK_STORE,
  TASK_LOG_STORE,
  TASK_SUBMITTER,
  UPLOAD_SERVICE,
  NOTIFY_SERVICE,
} from './tokens';
import type { NotifyService } from './notify/notify.resolver';

/**
 * Connections and services made outside Nest (by startApi, or by a caller such as
 * `bulkhead serve` that shares them with the worker). The module never closes them: whoever
 * created them does.
 */
export interface ApiDependencies {
  config: ApiConfig;
  registry: PluginRegistry;
  logger: Logger;
  /** Initialised, migrated data source. */
  dataSource: DataSource;
  /** A general-purpose Redis connection (readiness PING). */
  redis: Redis;
  queues: TaskQueues;
  submitter: TaskSubmitter;
  taskEventsSubscriber: TaskEventsSubscriber;
  taskEventsPublisher: TaskEventsPublisher;
  /** The host capabilities plugin modules inject (SDK tokens). */
  host: HostCapabilities;
  /** The Nest modules of the plugins' API entries, imported after the core's. */
  pluginModules: readonly PluginNestModule[];
  /** The team of the request being served (host/request-team.ts): every store reads and writes only it. */
  team: TeamAccessor;
  /** Reads credentials (HTTP middleware, graphql-ws connection_init). */
  authenticator: Authenticator;
  /** The authenticator's cache of valid tokens: a revocation through the API empties it at once. */
  tokenCache?: TokenCache;
  /** Writes the audit rows of mutations and uploads behind their responses (the caller flushes it on close). */
  auditWriter: AuditWriter;
  /** Receives, lists and deletes uploads (POST /uploads, `uploads`, `deleteUpload`). */
  uploads: UploadService;
  /** The Redis rate limiter (HTTP middleware; graphql-ws connection attempts here). */
  rateLimiter: RedisRateLimiter;
  /** Drives the schedules' BullMQ job schedulers and turns firings into tasks. */
  schedules: ScheduleRunner;
  /** Notification channels and their delivery log (notify/). */
  notify: NotifyService;
}

@Module({})
export class ApiModule {
  static forRoot(deps: ApiDependencies): DynamicModule {
    const { config } = deps;
    const limits: RequestLimits = {
      maxDepth: config.BULKHEAD_GRAPHQL_MAX_DEPTH,
      maxAliases: config.BULKHEAD_GRAPHQL_MAX_ALIASES,
      maxCost: config.BULKHEAD_GRAPHQL_MAX_COST,
      maxPageSize: MAX_PAGE_SIZE,
    };
    const limitsPlugin = new RequestLimitsPlugin(limits);
    const compiledQueries = new CompiledQueriesPlugin({ maxEntries: config.BULKHEAD_GRAPHQL_COMPILED_QUERIES });
    const tokenStore = deps.tokenCache ? new CacheAwareTokenStore(deps.dataSource, deps.tokenCache) : new ApiTokenStore(deps.dataSource);
    const auditLog = new AuditLogStore(deps.dataSource);
    return {
      module: ApiModule,
      imports: [
        GraphQLModule.forRoot<ApolloDriverConfig>({
          driver: ApolloDriver,
          path: '/graphql',
          // In memory: the committed libs/api/schema.graphql is checked by a test, not rewritten at start-up.
          autoSchemaFile: true,
          sortSchema: true,
          // Plain properties read by GraphQL's default resolver (compiled queries inline them).
          transformSchema: dropPropertyResolvers,
          graphiql: deps.config.GRAPHQL_PLAYGROUND,
          playground: false,
          introspection: deps.config.GRAPHQL_INTROSPECTION,
          context: graphqlContext,
          // The access guard also runs on @ResolveField resolvers (Nest runs none there by default), so a
          // RequireRole on one field of an object type holds wherever that type is returned; and the
          // domain error filter, so a bad argument to such a field (a plugin's included) is
          // BAD_USER_INPUT there too, not INTERNAL_SERVER_ERROR.
          fieldResolverEnhancers: ['guards', 'filters'],
          // Refused before execution: documents over PARSE_MAX_TOKENS while parsing, the rest by the limits plugin.
          parseOptions: { maxTokens: PARSE_MAX_TOKENS },
          // Cache control off: no response is cached by an HTTP cache here (per-token answers), and Apollo's
          // default cache-control plugin wraps every field resolver to compute hints (~2 µs a field; a
          // findings page resolves 500+ fields).
          // compiledQueries answers in responseForOperation, which Apollo calls only after every plugin's
          // didResolveOperation (the access and limits checks) has admitted the operation.
          plugins: [accessPlugin(deps.auditWriter), limitsPlugin, ApolloServerPluginCacheControlDisabled(), compiledQueries],
          formatError: formatGraphqlError(config.BULKHEAD_DEBUG_ERRORS, deps.logger),
          // Compact JSON: Apollo's default indents every answer (a findings page: ~30% more bytes to
          // build and send); clients format it themselves.
          stringifyResult: (result) => JSON.stringify(result),
          includeStacktraceInErrorResponses: config.BULKHEAD_DEBUG_ERRORS,
          subscriptions: {
            'graphql-ws': {
              path: '/graphql',
              ...graphqlWsAccess(deps.authenticator, deps.config.BULKHEAD_WS_TOKEN_RECHECK_MS, deps.rateLimiter),
              ...graphqlWsHooks({ limits, maxSubscriptions: config.BULKHEAD_WS_MAX_SUBSCRIPTIONS, plugin: limitsPlugin }),
            },
          },
        }),
        HostModule.forRoot(deps.host),
        ...deps.pluginModules,
      ],
      controllers: [HealthController, UploadController],
      providers: [
        { provide: API_CONFIG, useValue: deps.config },
        { provide: PLUGIN_REGISTRY, useValue: deps.registry },
        { provide: API_LOGGER, useValue: deps.logger },
        { provide: DATA_SOURCE, useValue: deps.dataSource },
        { provide: REDIS, useValue: deps.redis },
        { provide: TASK_QUEUES, useValue: deps.queues },
        { provide: TASK_SUBMITTER, useValue: deps.submitter },
        { provide: TASK_EVENTS_SUBSCRIBER, useValue: deps.taskEventsSubscriber },
        { provide: TASK_EVENTS_PUBLISHER, useValue: deps.taskEventsPublisher },
        { provide: TASK_STORE, useValue: new TaskStore(deps.dataSource, deps.team) },
        { provide: TASK_LOG_STORE, useValue: new TaskLogStore(deps.dataSource, deps.team) },
        { provide: IMAGE_STORE, useValue: new ImageStore(deps.dataSource, deps.team) },
        { provide: FINDING_STORE, useValue: new FindingStore(deps.dataSource, deps.team) },
        { provide: FINDING_TREND, useValue: { trend: new FindingTrend(deps.dataSource), team: deps.team } },
        { provide: API_TOKEN_STORE, useValue: tokenStore },
        { provide: AUDIT_LOG_STORE, useValue: auditLog },
        { provide: AUDIT_WRITER, useValue: deps.auditWriter },
        { provide: RATE_LIMITER, useValue: deps.rateLimiter },
        { provide: UPLOAD_SERVICE, useValue: deps.uploads },
        { provide: SCHEDULE_STORE, useValue: new ScheduleStore(deps.dataSource, deps.team) },
        { provide: SCHEDULE_RUNNER, useValue: deps.schedules },
        { provide: NOTIFY_SERVICE, useValue: deps.notify },
        { provide: CompiledQueriesPlugin, useValue: compiledQueries },
        { provide: APP_FILTER, useClass: DomainErrorFilter },
        // Every resolver and route, the plugins' included: authenticated and authorised by role.
        { provide: APP_GUARD, useClass: AccessGuard },
        ReadinessService,
        PluginsService,
        TaskService,
        TaskLogService,
        TaskUpdatesService,
        ProbeService,
        DeepReadinessService,
        ImageService,
        FindingService,
        ScheduleService,
        ...API_RESOLVERS,
      ],
    };
  }
}
