import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { createLogger, type Logger } from '@bulkhead/common';
import { connectDatabase, DatabaseUnavailableError, runMigrations } from '@bulkhead/persistence';
import type { PluginRegistry } from '@bulkhead/plugin-sdk';
import type { Redis } from 'ioredis';
import type { AddressInfo } from 'node:net';
import type { DataSource } from 'typeorm';
import { ApiModule } from './api.module';
import { loadApiConfig, type ApiConfig } from './config';
import { NestPinoLogger } from './startup/nest-logger';
import { assertRedisReachable, createRedisConnection } from './startup/redis';
import { ApiStartupError } from './startup/startup-error';

export interface StartApiOptions {
  /** The loaded plugins (built-ins plus BULKHEAD_PLUGINS), shared with an in-process worker. */
  registry: PluginRegistry;
  /** Validated configuration; default: read from process.env with loadApiConfig. */
  config?: ApiConfig;
  /** Override config PORT (0 = an ephemeral port, for tests). */
  port?: number;
  /** Override config HOST. */
  host?: string;
  logger?: Logger;
  /**
   * An initialised, migrated data source to share (e.g. with the worker in `bulkhead serve`).
   * When omitted, startApi connects to DATABASE_URL, runs migrations, and closes it in close().
   */
  dataSource?: DataSource;
  /** A Redis connection to share; when omitted startApi opens one to REDIS_URL and closes it in close(). */
  redis?: Redis;
}

export interface ApiHandle {
  app: INestApplication;
  /** Base URL, e.g. http://127.0.0.1:4000 (GraphQL at `${url}/graphql`). */
  url: string;
  port: number;
  host: string;
  /** Stops the HTTP and WebSocket servers, then closes the connections startApi opened (not shared ones). */
  close(): Promise<void>;
}

/**
 * Starts the GraphQL API: validates configuration, connects to Postgres (running migrations) and
 * Redis, then serves /graphql (queries, mutations, graphql-ws subscriptions), /healthz and
 * /readyz. Unreachable services fail with an ApiStartupError whose message is for the operator.
 */
export async function startApi(options: StartApiOptions): Promise<ApiHandle> {
  const config = options.config ?? loadApiConfig();
  const logger = options.logger ?? createLogger('api');
  const cleanup: (() => Promise<unknown>)[] = [];
  const closeOwned = async (): Promise<void> => {
    for (const step of cleanup.reverse()) await step().catch((error: unknown) => logger.warn({ err: (error as Error).message }, 'error while closing'));
  };

  try {
    let dataSource = options.dataSource;
    if (!dataSource) {
      const owned = await connectPostgres(config);
      cleanup.push(() => owned.destroy());
      const ran = await runMigrations(owned);
      if (ran.length > 0) logger.info({ migrations: ran }, 'database migrations applied');
      dataSource = owned;
    }
    let redis = options.redis;
    if (!redis) {
      await assertRedisReachable(config.REDIS_URL);
      const owned = createRedisConnection(config.REDIS_URL, logger);
      cleanup.push(() => owned.quit());
      redis = owned;
    }

    const app = await NestFactory.create(ApiModule.forRoot({ config, registry: options.registry, logger, dataSource, redis }), {
      logger: new NestPinoLogger(logger),
      // Throw instead of calling process.exit: the caller (CLI, tests) decides what failure means.
      abortOnError: false,
    });
    cleanup.push(() => app.close());
    const port = options.port ?? config.PORT;
    const host = options.host ?? config.HOST;
    await app.listen(port, host);
    const address = app.getHttpServer().address() as AddressInfo;
    const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    const url = `http://${urlHost === '0.0.0.0' || urlHost === '[::]' ? '127.0.0.1' : urlHost}:${address.port}`;
    logger.info({ url: `${url}/graphql`, plugins: options.registry.list().map((p) => p.manifest.id) }, 'api listening');

    let closing: Promise<void> | undefined;
    return {
      app,
      url,
      port: address.port,
      host,
      close: () => (closing ??= closeOwned()),
    };
  } catch (error) {
    await closeOwned();
    if (error instanceof Error && (error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new ApiStartupError(`port ${options.port ?? config.PORT} on ${options.host ?? config.HOST} is already in use: set PORT (and HOST) to a free one`, {
        cause: error,
      });
    }
    throw error;
  }
}

async function connectPostgres(config: ApiConfig): Promise<DataSource> {
  try {
    return await connectDatabase({ url: config.DATABASE_URL, schema: config.DATABASE_SCHEMA });
  } catch (error) {
    if (error instanceof DatabaseUnavailableError) throw new ApiStartupError(error.message, { cause: error });
    throw error;
  }
}
