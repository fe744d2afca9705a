import type { PluginMigration } from '@bulkhead/plugin-sdk/api';
import { ADVISORY_STORE_MIGRATIONS } from '@bulkhead/vulndb';
import { harborScanTable } from '../harbor/scan-store';
import { vulnerabilityIndexes } from './vulnerabilities/vulnerability-indexes';

/**
 * The scanner plugin's schema steps, run by the host after the core migrations, in this order,
 * each once (a shipped step is never edited: add one). The advisory store's tables are global
 * (advisories are public data, shared by every team: `vuln_*`, see libs/vulndb/src/store);
 * what a team owns (its vulnerability findings) lives in the core tables. The vulnerability
 * queries append their index steps after these; the Harbor adapter's scan table follows.
 */
export const scannerApiMigrations: readonly PluginMigration[] = [...ADVISORY_STORE_MIGRATIONS, vulnerabilityIndexes, harborScanTable];
