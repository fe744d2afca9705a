import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import type { PluginDatabase, PluginMigration } from '@bulkhead/plugin-sdk/api';

/** A schema of the caller's own, with a PluginDatabase over it. */
export interface PluginTestDatabase {
  database: PluginDatabase;
  dataSource: DataSource;
  schema: string;
  /** Drops the schema this helper created (and nothing else), then closes the pool. */
  drop(): Promise<void>;
}

/**
 * A fresh schema in the Postgres at DATABASE_URL and a PluginDatabase over it made as the host
 * makes its own (TypeORM `query` / `transaction`, search_path = the schema), so a plugin's store
 * meets the host's result shapes (e.g. `[rows, count]` for DELETE), with the plugin's migrations
 * applied in order. For tests and benchmarks of a plugin's own tables.
 */
export async function createPluginTestDatabase(label: string, migrations: readonly PluginMigration[] = []): Promise<PluginTestDatabase> {
  const url = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const schema = `bh_${label}_${randomBytes(4).toString('hex')}`;
  const dataSource = new DataSource({ type: 'postgres', url, schema, poolSize: 4, extra: { options: `-c search_path=${schema}` } });
  await dataSource.initialize();
  await dataSource.query(`CREATE SCHEMA "${schema}"`);
  const database: PluginDatabase = {
    query: (sql, parameters = []) => dataSource.query(sql, [...parameters]),
    transaction: (work) => dataSource.transaction((manager) => work({ query: (sql, parameters = []) => manager.query(sql, [...parameters]) })),
  };
  const drop = async (): Promise<void> => {
    try {
      await dataSource.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    } finally {
      await dataSource.destroy();
    }
  };
  try {
    for (const migration of migrations) await migration.up(database);
  } catch (error) {
    await drop();
    throw error;
  }
  return { database, dataSource, schema, drop };
}
