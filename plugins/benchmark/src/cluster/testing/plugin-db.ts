import { createPluginTestDatabase, type PluginTestDatabase } from '@bulkhead/testing';
import { clusterMigrations } from '../migrations';

export type ClusterTestDatabase = PluginTestDatabase;

/** A PluginDatabase as the host makes one, in a schema of the caller's own, with the cluster tables. */
export function createClusterTestDatabase(label: string): Promise<ClusterTestDatabase> {
  return createPluginTestDatabase(label, clusterMigrations);
}
