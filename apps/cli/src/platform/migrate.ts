import { loadPluginPackages } from '@bulkhead/builtin-plugins';
import { connectDatabase, redactUrl, runMigrations, runPluginMigrations, type PluginMigrationSet } from '@bulkhead/persistence';
import { loadWorkerConfig } from '@bulkhead/worker';

/**
 * Applies pending migrations to DATABASE_URL / DATABASE_SCHEMA: the core's, then those of every
 * plugin package's api entry (built-ins and BULKHEAD_PLUGINS), as the API would at start-up.
 * Returns a line for the user.
 */
export async function migrate(): Promise<string> {
  const config = loadWorkerConfig();
  const sets: PluginMigrationSet[] = [];
  for (const pkg of loadPluginPackages(config.BULKHEAD_PLUGINS)) {
    const api = await pkg.loadApi();
    if (api?.migrations?.length) sets.push({ pluginId: pkg.plugin.manifest.id, migrations: api.migrations });
  }
  const dataSource = await connectDatabase({ url: config.DATABASE_URL, schema: config.DATABASE_SCHEMA });
  try {
    const ran = await runMigrations(dataSource);
    const ranPlugins = await runPluginMigrations(dataSource, sets);
    const lines = [...ran, ...ranPlugins.map((step) => `plugin ${step.pluginId}: ${step.migrationId}`)];
    const where = `${redactUrl(config.DATABASE_URL)} (schema ${config.DATABASE_SCHEMA})`;
    return lines.length ? `applied ${lines.length} migration(s) to ${where}:\n  ${lines.join('\n  ')}` : `${where} is up to date`;
  } finally {
    await dataSource.destroy();
  }
}
