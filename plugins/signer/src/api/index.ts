import { Module } from '@nestjs/common';
import { definePluginApi } from '@bulkhead/plugin-sdk/api';
import { gateMigrations, GateApiModule } from '../gate/api';

/*
 * `@bulkhead/plugin-signer/api`: the signer plugin's part of the API process. The promotion
 * gate contributes its module and migrations (ids `gate-…`).
 */

@Module({ imports: [GateApiModule] })
export class SignerApiModule {}

export const signerApi = definePluginApi({
  migrations: [...gateMigrations],
  module: () => SignerApiModule,
});

export default signerApi;
