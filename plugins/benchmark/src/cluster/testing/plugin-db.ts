import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import type { PluginDatabase } from '@bulkhead/plugin-sdk/api';
import { clusterMigrations } from '../migrations';

/**
 * A PluginDatabase made as the host makes its own (TypeORM query / transaction, search_path = a
 * schema of the caller's own), with the cluster tables created. For tests and benchmarks only;
 * `drop()` removes the schema.
 */
export interface ClusterTestDatabase {
  database: PluginDatabase;
  schema: string;
  drop(): Promise<void>;
}

export async function createClusterTestDatabase(label: string): Promise<ClusterTestDatabase> {
  const url = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const schema = `bh_${label}_${randomBytes(4).toString('hex')}`;
  const dataSource = new DataSource({ type: 'postgres', url, schema, poolSize: 4, extra: { options: `-c search_path=${schema}` } });
  await dataSource.initialize();
  await dataSource.query(`CREATE SCHEMA "${schema}"`);
  const database: PluginDatabase = {
    query: (sql, parameters = []) => dataSource.query(sql, [...parameters]),
    transaction: (work) => dataSource.transaction((manager) => work({ query: (sql, parameters = []) => manager.query(sql, [...parameters]) })),
  };
  for (const migration of clusterMigrations) await migration.up(database);
  return {
    database,
    schema,
    drop: async () => {
      try {
        await dataSource.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      } finally {
        await dataSource.destroy();
      }
    },
  };
}
