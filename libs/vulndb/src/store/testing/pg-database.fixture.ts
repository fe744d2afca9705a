import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import type { PluginDatabase } from '@bulkhead/plugin-sdk/api';

export interface ScratchDatabase {
  database: PluginDatabase;
  dataSource: DataSource;
  schema: string;
  drop(): Promise<void>;
}

/**
 * A schema of this suite's own in the Postgres at DATABASE_URL, and a PluginDatabase over it
 * made as the host makes its own (TypeORM `query` / `transaction`, search_path = the schema),
 * so the store meets the host's result shapes (e.g. `[rows, count]` for DELETE).
 */
export async function createScratchDatabase(label: string): Promise<ScratchDatabase> {
  const url = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const schema = `bh_${label}_${randomBytes(4).toString('hex')}`;
  const dataSource = new DataSource({ type: 'postgres', url, schema, poolSize: 4, extra: { options: `-c search_path=${schema}` } });
  await dataSource.initialize();
  await dataSource.query(`CREATE SCHEMA "${schema}"`);
  const database: PluginDatabase = {
    query: (sql, parameters = []) => dataSource.query(sql, [...parameters]),
    transaction: (work) => dataSource.transaction((manager) => work({ query: (sql, parameters = []) => manager.query(sql, [...parameters]) })),
  };
  return {
    database,
    dataSource,
    schema,
    drop: async () => {
      try {
        await dataSource.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      } finally {
        await dataSource.destroy().catch(() => undefined);
      }
    },
  };
}
