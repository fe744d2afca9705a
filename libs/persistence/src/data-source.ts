import { redactUrl, ServiceUnavailableError } from '@bulkhead/common';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { entities } from './entities';
import { migrations } from './migrations';

export interface DatabaseOptions {
  /** postgres://user@host:port/db */
  url: string;
  /** Postgres schema holding Bulkhead's tables (default `public`); tests use one per suite. */
  schema?: string;
  /** Log every SQL statement (debugging). */
  logging?: boolean;
  /** Pool size (default 10). */
  poolSize?: number;
}

const SCHEMA_PATTERN = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * TypeORM options for Bulkhead's database. Use these (e.g. in TypeOrmModule.forRoot) rather
 * than building options by hand: they carry the explicit entity and migration lists and the
 * search_path that makes migrations land in the configured schema.
 */
export function dataSourceOptions(options: DatabaseOptions): DataSourceOptions {
  const schema = options.schema ?? 'public';
  if (!SCHEMA_PATTERN.test(schema)) throw new Error(`DATABASE_SCHEMA ${JSON.stringify(schema)} must match ${SCHEMA_PATTERN}`);
  return {
    type: 'postgres',
    url: options.url,
    schema,
    entities,
    migrations,
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    migrationsRun: false,
    logging: options.logging ?? false,
    poolSize: options.poolSize ?? 10,
    installExtensions: false,
    // gen_random_uuid() is built into Postgres 13+; no extension needed.
    uuidExtension: 'pgcrypto',
    // Migrations are plain SQL without schema names; the search_path puts them in `schema`.
    extra: { options: `-c search_path=${schema}` },
  };
}

export function createDataSource(options: DatabaseOptions): DataSource {
  return new DataSource(dataSourceOptions(options));
}

/** Any 32-bit number unique to Bulkhead: serialises concurrent migration runs (API replicas, workers). */
export const MIGRATION_LOCK_ID = 0x42_48_4d_31;

/**
 * Creates the schema if needed and runs pending migrations, holding a Postgres advisory lock so
 * that several processes starting together do not race. Initializes the data source if needed.
 * Returns the names of the migrations it ran.
 */
export async function runMigrations(dataSource: DataSource): Promise<string[]> {
  if (!dataSource.isInitialized) await dataSource.initialize();
  const schema = (dataSource.options as { schema?: string }).schema ?? 'public';
  const lock = dataSource.createQueryRunner();
  try {
    await lock.connect();
    await lock.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_ID]);
    await lock.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    const ran = await dataSource.runMigrations({ transaction: 'each' });
    return ran.map((m) => m.name);
  } finally {
    await lock.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_ID]).catch(() => undefined);
    await lock.release();
  }
}

/**
 * Connects to Postgres, turning the driver's terse errors into one that names the URL and says
 * how to provide a database.
 */
export async function connectDatabase(options: DatabaseOptions): Promise<DataSource> {
  const dataSource = createDataSource(options);
  try {
    await dataSource.initialize();
  } catch (error) {
    throw new DatabaseUnavailableError(options.url, error);
  }
  return dataSource;
}

/** Postgres is unreachable (see ServiceUnavailableError for the message's shape). */
export class DatabaseUnavailableError extends ServiceUnavailableError {
  override readonly name = 'DatabaseUnavailableError';
  constructor(url: string, cause: unknown) {
    super(
      {
        name: 'Postgres',
        url,
        variable: 'DATABASE_URL',
        howToStart: '`docker compose -f docker/compose.yaml up -d postgres` or a local service (`pg_ctlcluster 15 main start`)',
      },
      cause,
    );
  }
}

export { redactUrl };
