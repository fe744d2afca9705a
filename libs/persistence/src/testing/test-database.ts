import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { createDataSource, runMigrations } from '../data-source';

export interface TestDatabase {
  dataSource: DataSource;
  url: string;
  schema: string;
  /** Drops the schema this helper created and closes the connection; never throws. */
  drop(): Promise<void>;
}

/**
 * For integration tests: a fresh, migrated schema of its own (`bh_<label>_<random>`) in the
 * database at DATABASE_URL, so suites can run in parallel against one Postgres.
 */
export async function createTestDatabase(label: string): Promise<TestDatabase> {
  const url = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const schema = `bh_${label.toLowerCase().replace(/[^a-z0-9]/g, '_').slice(0, 30)}_${randomBytes(4).toString('hex')}`;
  const dataSource = createDataSource({ url, schema, poolSize: 5 });
  await runMigrations(dataSource);
  return {
    dataSource,
    url,
    schema,
    drop: async () => {
      try {
        if (dataSource.isInitialized) {
          await dataSource.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
          await dataSource.destroy();
        }
      } catch {
        // Cleanup must not fail (or hang) the suite; a leftover bh_* schema is harmless.
      }
    },
  };
}
