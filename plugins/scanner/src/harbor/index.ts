import type { Provider } from '@nestjs/common';
import { PLUGIN_DATABASE, type PluginDatabase } from '@bulkhead/plugin-sdk/api';
import { PostgresAdvisoryStore } from '@bulkhead/vulndb';
import type { HarborApiConfig } from './config';
import { HarborAdapterController } from './harbor.controller';
import { HarborAdapterService } from './harbor.service';
import { HARBOR_ADVISORY_STORE, HARBOR_CONFIG } from './tokens';

/*
 * The Harbor pluggable scanner adapter (harbor/api/v1/...): its controller and providers, which
 * the scanner API module registers, and its table (harborScanTable, in the scanner's migrations).
 */
export function harborAdapterControllers() {
  return [HarborAdapterController];
}

export function harborAdapterProviders(config: HarborApiConfig): Provider[] {
  return [
    { provide: HARBOR_CONFIG, useValue: config },
    { provide: HARBOR_ADVISORY_STORE, useFactory: (db: PluginDatabase) => new PostgresAdvisoryStore(db), inject: [PLUGIN_DATABASE] },
    HarborAdapterService,
  ];
}

export { harborApiConfig, type HarborApiConfig } from './config';
export { harborScanTable } from './scan-store';
export { HARBOR_ADAPTER_PATH } from './harbor.controller';
