import { definePluginApi } from '@bulkhead/plugin-sdk/api';
import { signerMigrations } from '../store/migrations';
import { gateMigrations } from '../gate/promotion-store';
import { signerApiConfig } from './config';
import { SignerApiModule } from './signer-api.module';

/*
 * `@bulkhead/plugin-signer/api`: the signer's part of the API process (loaded for the built-in
 * plugin by the same code path as for an npm plugin): its tables, key management, sign/verify
 * tasks and the signature records on the host's Image.
 */
export const signerApi = definePluginApi({
  config: signerApiConfig,
  // The promotion gate's steps (ids `gate-…`) after the signer's own.
  migrations: [...signerMigrations, ...gateMigrations],
  module: ({ config }) => SignerApiModule.forRoot(config),
});

export default signerApi;
export { signerApiConfig, type SignerApiConfig } from './config';
export { signerMigrations } from '../store/migrations';
