import { connectDatabase, redactUrl, runMigrations } from '@bulkhead/persistence';
import { loadWorkerConfig } from '@bulkhead/worker';

/** Applies pending migrations to DATABASE_URL / DATABASE_SCHEMA; returns a line for the user. */
export async function migrate(): Promise<string> {
  const config = loadWorkerConfig();
  const dataSource = await connectDatabase({ url: config.DATABASE_URL, schema: config.DATABASE_SCHEMA });
  try {
    const ran = await runMigrations(dataSource);
    const where = `${redactUrl(config.DATABASE_URL)} (schema ${config.DATABASE_SCHEMA})`;
    return ran.length ? `applied ${ran.length} migration(s) to ${where}:\n  ${ran.join('\n  ')}` : `${where} is up to date`;
  } finally {
    await dataSource.destroy();
  }
}
