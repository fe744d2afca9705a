import type { PluginMigration } from '@bulkhead/plugin-sdk/api';

/**
 * The scanner plugin's schema steps, run by the host after the core migrations, in this order,
 * each once (a shipped step is never edited: add one). The advisory store's tables are global
 * (advisories are public data, shared by every team); what a team owns (its findings) lives in
 * the core tables. The vulnerability queries append their index steps after these.
 */
export const scannerApiMigrations: readonly PluginMigration[] = [];
