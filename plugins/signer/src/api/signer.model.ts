import { Field, ID, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import { ConnectionType } from '@bulkhead/plugin-sdk/api';

/** How a signature is carried, as GraphQL enum values. */
export enum SignatureFormat {
  COSIGN_LEGACY = 'cosign-legacy',
  COSIGN_BUNDLE = 'cosign-bundle',
  NOTATION_JWS = 'notation-jws',
  NOTATION_COSE = 'notation-cose',
}
registerEnumType(SignatureFormat, {
  name: 'SignatureFormat',
  description: "How a signature is carried: cosign's simple signing at the sha256-<hex>.sig tag (COSIGN_LEGACY), a Sigstore bundle v0.3 referrer (COSIGN_BUNDLE), a Notary Project JWS or COSE envelope referrer.",
});

/** What signImage writes. */
export enum SignatureFormatChoice {
  BOTH = 'both',
  LEGACY = 'legacy',
  BUNDLE = 'bundle',
}
registerEnumType(SignatureFormatChoice, {
  name: 'SignatureFormatChoice',
  description: "Which of cosign's forms signImage writes: BOTH (default), LEGACY (simple signing at the .sig tag) or BUNDLE (Sigstore bundle v0.3 referrer).",
});

@ObjectType({ description: 'A server-side signing key: public parts only (the private key never leaves its provider).' })
export class SigningKey {
  @Field(() => ID)
  id!: string;

  @Field({ description: 'Unique within the team.' })
  name!: string;

  @Field({ description: 'Where the private key is held: local (encrypted in Postgres with BULKHEAD_SIGNER_MASTER_KEY).' })
  provider!: string;

  @Field({ description: 'ECDSA_P256_SHA256 (what cosign uses).' })
  algorithm!: string;

  @Field({ description: 'The public key, PEM (PKIX), as in cosign.pub: give it to `bulkhead verify --key` or `cosign verify --key`.' })
  publicKey!: string;

  @Field({ description: 'SHA-256 of the DER public key, hex.' })
  fingerprint!: string;

  @Field()
  createdAt!: Date;
}

@ObjectType({ description: "A signature found for an image manifest digest and the verdict of its latest check with one verifier (a key, a certificate or a trust policy)." })
export class ImageSignature {
  @Field(() => ID)
  id!: string;

  @Field({ description: 'The image manifest digest the signature was looked up for.' })
  imageDigest!: string;

  @Field({ description: 'The reference that was checked (registry/repository@digest).' })
  reference!: string;

  @Field(() => SignatureFormat)
  format!: SignatureFormat;

  @Field({ description: 'Digest of what holds the signature (the legacy layer, the bundle or the envelope).' })
  signatureDigest!: string;

  @Field({ description: 'What it was checked with: key:<fingerprint>, cert:<fingerprint> or trust-policy:<name>.' })
  verifier!: string;

  @Field(() => String, { nullable: true, description: "Who signed, when known: the key's fingerprint or the certificate subject." })
  identity!: string | null;

  @Field({ description: 'The signature verifies over this digest with that verifier.' })
  valid!: boolean;

  @Field(() => String, { nullable: true, description: 'Why it is not valid (wrong key, other digest, tampered ...); null when valid.' })
  reason!: string | null;

  @Field(() => ID, { nullable: true, description: 'The sign-image or verify-image task that recorded it.' })
  taskId!: string | null;

  @Field()
  checkedAt!: Date;
}

@ObjectType({ description: 'An attestation (in-toto statement in a DSSE envelope) found for an image manifest digest and the verdict of its latest check.' })
export class ImageAttestation {
  @Field(() => ID)
  id!: string;

  @Field()
  imageDigest!: string;

  @Field()
  reference!: string;

  @Field(() => SignatureFormat, { description: 'COSIGN_LEGACY (.att tag) or COSIGN_BUNDLE (referrer).' })
  format!: SignatureFormat;

  @Field(() => String, { nullable: true, description: 'The statement predicate type, e.g. https://cyclonedx.org/bom.' })
  predicateType!: string | null;

  @Field()
  attestationDigest!: string;

  @Field()
  verifier!: string;

  @Field(() => String, { nullable: true })
  identity!: string | null;

  @Field()
  valid!: boolean;

  @Field(() => String, { nullable: true })
  reason!: string | null;

  @Field(() => ID, { nullable: true })
  taskId!: string | null;

  @Field()
  checkedAt!: Date;
}

@ObjectType({ description: "An image of the caller's team with findings of the asked severities, and its signature state." })
export class ImageSignatureStatus {
  @Field({ description: 'Image id (config digest).' })
  digest!: string;

  @Field(() => [String], { description: 'Every manifest digest the image is known by (signatures are over these).' })
  manifestDigests!: string[];

  @Field(() => [String])
  references!: string[];

  @Field(() => Int, { description: 'Open findings of the asked severities.' })
  findingCount!: number;

  @Field({ description: 'At least one valid signature is on record for one of its manifest digests.' })
  signed!: boolean;

  @Field(() => [ImageSignature], { description: 'The signatures on record, newest check first.' })
  signatures!: ImageSignature[];
}

@ObjectType()
export class ImageSignatureStatusConnection extends ConnectionType(ImageSignatureStatus, 'ImageSignatureStatus') {}
