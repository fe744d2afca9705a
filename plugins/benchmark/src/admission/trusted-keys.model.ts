import { Field, Int, ObjectType, registerEnumType } from '@nestjs/graphql';

export enum AdmissionTrustedKeySource {
  FILE = 'FILE',
  API = 'API',
}
registerEnumType(AdmissionTrustedKeySource, {
  name: 'AdmissionTrustedKeySource',
  description: 'FILE: listed in the admission policy file (trustedKeys), changed only there. API: added by an admin of the team (addAdmissionTrustedKey).',
});

@ObjectType({ description: "A public key the admission webhook's signature rule trusts." })
export class AdmissionTrustedKey {
  @Field({ description: 'key:<sha256 hex of the DER SubjectPublicKeyInfo>, as signingKeys and signature records name keys.' })
  fingerprint!: string;

  @Field({ description: 'A name for people (FILE keys: their place in the policy file).' })
  name!: string;

  @Field(() => String, { nullable: true, description: 'The PEM public key; null for a FILE key given by its fingerprint only.' })
  publicKey!: string | null;

  @Field(() => AdmissionTrustedKeySource)
  source!: AdmissionTrustedKeySource;

  @Field(() => String, { nullable: true, description: 'Name of the API token that added it (API keys).' })
  addedBy!: string | null;

  @Field(() => Date, { nullable: true, description: 'When it was added (API keys).' })
  addedAt!: Date | null;
}

@ObjectType({ description: "The admission webhook's trusted keys as the caller's team sees them, and whether the webhook uses them." })
export class AdmissionTrustedKeys {
  @Field({ description: 'Whether this API serves the admission webhook (BULKHEAD_ADMISSION_POLICY_FILE is set).' })
  webhookEnabled!: boolean;

  @Field({ description: 'Whether the policy lets keys added through the API count (its `apiTrustedKeys`); when false addAdmissionTrustedKey is refused.' })
  acceptsApiKeys!: boolean;

  @Field({ description: 'Whether the signature rule is on: every image must carry a valid signature by one of these keys.' })
  signatureRuleEnabled!: boolean;

  @Field(() => Int, { description: 'The most keys a team may add through the API.' })
  maxApiKeys!: number;

  @Field(() => [AdmissionTrustedKey], { description: 'FILE keys first (in file order), then the team\'s API keys by name.' })
  keys!: AdmissionTrustedKey[];
}
