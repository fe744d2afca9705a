import { definePluginApi } from '@bulkhead/plugin-sdk/api';
import { scannerApiConfig } from './config';
import { scannerApiMigrations } from './migrations';
import { ScannerApiModule } from './scanner-api.module';

/*
 * `@bulkhead/plugin-scanner/api`: what the scanner plugin contributes to the API process (loaded
 * for the built-in plugin by the same code path as for an npm plugin): the advisory store's
 * schema, advisory maintenance mutations and the vulnerability queries.
 */
export const scannerApi = definePluginApi({
  config: scannerApiConfig,
  migrations: scannerApiMigrations,
  module: ({ config }) => ScannerApiModule.forRoot(config),
});

export default scannerApi;
export { scannerApiConfig, type ScannerApiConfig } from './config';
export { scannerApiMigrations } from './migrations';
export { ScannerApiModule } from './scanner-api.module';
export { SCANNER_API_CONFIG } from './tokens';
export { VulnerabilityService } from './vulnerabilities/vulnerability.service';
