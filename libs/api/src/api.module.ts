import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import { Module, type DynamicModule } from '@nestjs/common';
import { GraphQLModule } from '@nestjs/graphql';
import type { Logger } from '@bulkhead/common';
import type { PluginRegistry } from '@bulkhead/plugin-sdk';
import type { Redis } from 'ioredis';
import type { DataSource } from 'typeorm';
import { API_RESOLVERS } from './api.resolvers';
import type { ApiConfig } from './config';
import { FindingService } from './findings/finding.service';
import { HealthController } from './health/health.controller';
import { ReadinessService } from './health/readiness.service';
import { ImageService } from './images/image.service';
import { PluginsService } from './plugins/plugins.service';
import { TaskQueryService } from './tasks/task-query.service';
import { API_CONFIG, API_LOGGER, DATA_SOURCE, PLUGIN_REGISTRY, REDIS } from './tokens';

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
}

@Module({})
export class ApiModule {
  static forRoot(deps: ApiDependencies): DynamicModule {
    return {
      module: ApiModule,
      imports: [
        GraphQLModule.forRoot<ApolloDriverConfig>({
          driver: ApolloDriver,
          path: '/graphql',
          // In memory: the committed libs/api/schema.graphql is checked by a test, not rewritten at start-up.
          autoSchemaFile: true,
          sortSchema: true,
          graphiql: deps.config.GRAPHQL_PLAYGROUND,
          playground: false,
          introspection: deps.config.GRAPHQL_INTROSPECTION,
          subscriptions: { 'graphql-ws': { path: '/graphql' } },
        }),
      ],
      controllers: [HealthController],
      providers: [
        { provide: API_CONFIG, useValue: deps.config },
        { provide: PLUGIN_REGISTRY, useValue: deps.registry },
        { provide: API_LOGGER, useValue: deps.logger },
        { provide: DATA_SOURCE, useValue: deps.dataSource },
        { provide: REDIS, useValue: deps.redis },
        ReadinessService,
        PluginsService,
        TaskQueryService,
        ImageService,
        FindingService,
        ...API_RESOLVERS,
      ],
    };
  }
}
