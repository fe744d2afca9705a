import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import type { PluginDatabase } from '@bulkhead/plugin-sdk/api';
import { signerMigrations } from '../store/migrations';

const URL = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface SignerTestDatabase {
  database: PluginDatabase;
  schema: string;
  /** Drops the schema this helper created (and nothing else). */
  drop(): Promise<void>;
}

/**
 * A PluginDatabase as the host makes one (TypeORM query / transaction, search_path = a schema of
 * this suite's own) with the signer's migrations applied.
 */
export async function signerTestDatabase(label: string): Promise<SignerTestDatabase> {
  const schema = `bh_signer_${label}_${randomBytes(4).toString('hex')}`;
  const dataSource = new DataSource({ type: 'postgres', url: URL, schema, poolSize: 4, extra: { options: `-c search_path=${schema}` } });
  await dataSource.initialize();
  await dataSource.query(`CREATE SCHEMA "${schema}"`);
  const database: PluginDatabase = {
    query: (sql, parameters = []) => dataSource.query(sql, [...parameters]),
    transaction: (work) => dataSource.transaction((manager) => work({ query: (sql, parameters = []) => manager.query(sql, [...parameters]) })),
  };
  for (const migration of signerMigrations) await migration.up(database);
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
