import { Module, type DynamicModule } from '@nestjs/common';
import type { SignerApiConfig } from './config';
import { imageSignatureFieldsResolver } from './image-fields.resolver';
import { SignerResolver } from './signer.resolver';
import { SignerService } from './signer.service';
import { SIGNER_API_CONFIG } from './tokens';
import { GateApiModule } from '../gate/api';

/**
 * The signer in the API process: keys, sign/verify mutations (tasks run on workers), the
 * signature and attestation records, and the Image fields over them.
 */
@Module({})
export class SignerApiModule {
  static forRoot(config: SignerApiConfig): DynamicModule {
    return {
      module: SignerApiModule,
      // The promotion gate: promoteImage, promotion(id), promotions.
      imports: [GateApiModule],
      providers: [{ provide: SIGNER_API_CONFIG, useValue: config }, SignerService, SignerResolver, imageSignatureFieldsResolver()],
    };
  }
}
