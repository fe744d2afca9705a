import type { PluginMigration } from '@bulkhead/plugin-sdk/api';
import type { DataSource } from 'typeorm';
import { MIGRATION_LOCK_ID } from './data-source';

/** The migrations one plugin's API entry contributes, in the order they must run. */
export interface PluginMigrationSet {
  pluginId: string;
  migrations: readonly PluginMigration[];
}

/**
 * A plugin migration step failed (its transaction was rolled back), or the plugin's list of
 * steps is invalid (migrationId null): start-up stops.
 */
export class PluginMigrationError extends Error {
  override readonly name = 'PluginMigrationError';
  constructor(
    readonly pluginId: string,
    readonly migrationId: string | null,
    cause: unknown,
  ) {
    const problem = cause instanceof Error ? cause.message : String(cause);
    super(migrationId === null ? `plugin ${pluginId}: invalid migration list: ${problem}` : `plugin ${pluginId}: migration ${migrationId} failed: ${problem}`, { cause });
  }
}

/** Two steps of one plugin share an id, or an id is empty: the plugin is broken, nothing runs. */
export function checkPluginMigrationIds(set: PluginMigrationSet): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const [index, step] of set.migrations.entries()) {
    if (typeof step?.id !== 'string' || step.id.trim() === '') problems.push(`migration #${index + 1} has no id`);
    else if (seen.has(step.id)) problems.push(`migration id ${JSON.stringify(step.id)} is listed twice`);
    else seen.add(step.id);
    if (typeof step?.up !== 'function') problems.push(`migration ${JSON.stringify(step?.id)} has no up() function`);
  }
  return problems;
}

/**
 * Runs the plugins' migration steps that are not yet recorded in `plugin_migration`: plugin by
 * plugin in the order given, each plugin's steps in its listed order, each step and its record
 * in one transaction (a failed step leaves nothing behind and stops the run with a
 * PluginMigrationError naming plugin and step). Holds the core migrations' advisory lock, so
 * several API replicas starting together run each step once. Returns what it ran.
 */
export async function runPluginMigrations(dataSource: DataSource, sets: readonly PluginMigrationSet[]): Promise<{ pluginId: string; migrationId: string }[]> {
  for (const set of sets) {
    const problems = checkPluginMigrationIds(set);
    if (problems.length) throw new PluginMigrationError(set.pluginId, null, new Error(problems.join('; ')));
  }
  const schema = (dataSource.options as { schema?: string }).schema ?? 'public';
  const table = `"${schema}"."plugin_migration"`;
  const ran: { pluginId: string; migrationId: string }[] = [];
  const lock = dataSource.createQueryRunner();
  try {
    await lock.connect();
    await lock.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_ID]);
    for (const { pluginId, migrations } of sets) {
      const rows: { migration_id: string }[] = await lock.query(`SELECT migration_id FROM ${table} WHERE plugin_id = $1`, [pluginId]);
      const applied = new Set(rows.map((row) => row.migration_id));
      for (const step of migrations) {
        if (applied.has(step.id)) continue;
        try {
          await dataSource.transaction(async (manager) => {
            await step.up({ query: (sql: string, parameters?: readonly unknown[]) => manager.query(sql, parameters ? [...parameters] : undefined) });
            await manager.query(`INSERT INTO ${table} (plugin_id, migration_id) VALUES ($1, $2)`, [pluginId, step.id]);
          });
        } catch (error) {
          throw new PluginMigrationError(pluginId, step.id, error);
        }
        ran.push({ pluginId, migrationId: step.id });
      }
    }
    return ran;
  } finally {
    await lock.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_ID]).catch(() => undefined);
    await lock.release();
  }
}
