import { matchPackages, PostgresAdvisoryStore } from '@bulkhead/vulndb';
import type { ScanImageDependencies } from './vulnerability-scan';

/** The real vulnerability database: vulndb's matcher and, on a worker, its Postgres store. */
export const defaultScanDependencies: ScanImageDependencies = {
  match: (packages, store, options) => matchPackages(packages, store, options),
  platformStore: (database) => new PostgresAdvisoryStore(database),
};
