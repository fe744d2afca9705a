import { Module, type DynamicModule } from '@nestjs/common';
import { harborAdapterControllers, harborAdapterProviders } from '../harbor';
import { AdvisoriesResolver } from './advisories/advisories.resolver';
import type { ScannerApiConfig } from './config';
import { SCANNER_API_CONFIG } from './tokens';
import { vulnerabilityApiProviders } from './vulnerabilities';
import { imageSecretsResolver } from './secrets/image-secrets';

/**
 * The scanner in the API process: advisory database maintenance (importAdvisories,
 * updateAdvisories) and the vulnerability queries (./vulnerabilities). Host capabilities come
 * through the SDK's tokens; the advisory store's tables come from this entry's migrations.
 */
@Module({})
export class ScannerApiModule {
  static forRoot(config: ScannerApiConfig): DynamicModule {
    return {
      module: ScannerApiModule,
      controllers: harborAdapterControllers(),
      providers: [{ provide: SCANNER_API_CONFIG, useValue: config }, AdvisoriesResolver, ...vulnerabilityApiProviders(), imageSecretsResolver(), ...harborAdapterProviders(config)],
    };
  }
}
