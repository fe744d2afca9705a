import { createPluginTestDatabase, type PluginTestDatabase } from '@bulkhead/testing';
import { signerMigrations } from '../store/migrations';

export type SignerTestDatabase = PluginTestDatabase;

/** A PluginDatabase as the host makes one, in a schema of this suite's own, with the signer's tables. */
export function signerTestDatabase(label: string): Promise<SignerTestDatabase> {
  return createPluginTestDatabase(`signer_${label}`, signerMigrations);
}
