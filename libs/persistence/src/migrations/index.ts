import { InitialSchema1751328000000 } from './1751328000000-initial-schema';
import { RuntimeAlertIndexes1764460800000 } from './1764460800000-runtime-alert-indexes';
import { PluginMigrationTable1765000000000 } from './1765000000000-plugin-migration-table';

export { InitialSchema1751328000000, PluginMigrationTable1765000000000, RuntimeAlertIndexes1764460800000 };

/** Every migration, oldest first, listed explicitly (no globs). */
export const migrations = [InitialSchema1751328000000, RuntimeAlertIndexes1764460800000, PluginMigrationTable1765000000000];
