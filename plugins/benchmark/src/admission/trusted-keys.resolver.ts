import { Args, Mutation, Query, Resolver } from '@nestjs/graphql';
import { RequireRole } from '@bulkhead/plugin-sdk/api';
import { AdmissionTrustedKey, AdmissionTrustedKeys } from './trusted-keys.model';
import { AdmissionTrustedKeysService } from './trusted-keys.service';

@Resolver(() => AdmissionTrustedKey)
export class AdmissionTrustedKeysResolver {
  constructor(private readonly keys: AdmissionTrustedKeysService) {}

  @Query(() => AdmissionTrustedKeys, { description: "The keys the admission webhook's signature rule trusts for the caller's team: the policy file's and the team's own (API)." })
  @RequireRole('viewer')
  admissionTrustedKeys(): Promise<AdmissionTrustedKeys> {
    return this.keys.list();
  }

  @Mutation(() => AdmissionTrustedKey, {
    description:
      "Trusts a public key (PEM) for the admission webhook's signature rule, for the caller's team; needs `apiTrustedKeys: true` in the admission policy. At most 100 per team; every API replica uses it within 2 seconds.",
  })
  @RequireRole('admin')
  addAdmissionTrustedKey(
    @Args('name', { description: 'A name for people, 1 to 100 characters.' }) name: string,
    @Args('publicKey', { description: 'One PEM `-----BEGIN PUBLIC KEY-----` block (ECDSA, RSA or Ed25519), e.g. the content of cosign.pub.' }) publicKey: string,
  ): Promise<AdmissionTrustedKey> {
    return this.keys.add(name, publicKey);
  }

  @Mutation(() => AdmissionTrustedKey, { description: "Stops trusting a key the caller's team added (keys of the policy file are changed only in the file); every API replica stops within 2 seconds." })
  @RequireRole('admin')
  removeAdmissionTrustedKey(@Args('fingerprint', { description: 'key:<64 hex>, as admissionTrustedKeys lists it.' }) fingerprint: string): Promise<AdmissionTrustedKey> {
    return this.keys.remove(fingerprint);
  }
}
