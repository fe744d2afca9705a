import { Args, ID, Int, Mutation, Query, Resolver } from '@nestjs/graphql';
import { RequireRole, Severity, Task } from '@bulkhead/plugin-sdk/api';
import { ImageAttestation, ImageSignature, ImageSignatureStatusConnection, SignatureFormatChoice, SigningKey } from './signer.model';
import { SignerService } from './signer.service';

const MAX_PAGE = 500;

@Resolver()
export class SignerResolver {
  constructor(private readonly signer: SignerService) {}

  @RequireRole('operator')
  @Mutation(() => Task, {
    description:
      "Signs an image in a registry on a worker with a server-side key: the tag is resolved to its manifest digest and the digest is signed, in cosign's forms (legacy .sig tag and/or Sigstore bundle referrer). The signature is recorded (signatures).",
  })
  signImage(
    @Args('ref') ref: string,
    @Args('keyId', { type: () => ID, description: 'A signing key of the team, by id or name.' }) keyId: string,
    @Args('signatureFormat', { type: () => SignatureFormatChoice, nullable: true, defaultValue: SignatureFormatChoice.BOTH }) signatureFormat: SignatureFormatChoice,
  ): Promise<Task> {
    return this.signer.signImage(ref, keyId, signatureFormat);
  }

  @RequireRole('operator')
  @Mutation(() => Task, {
    description:
      'Verifies the signatures of an image in a registry on a worker, with server-side keys (default: all of the team), a PEM public key or a certificate; every signature found is recorded with its verdict and reason. The task result says whether a valid signature over the digest was found.',
  })
  verifyImage(
    @Args('ref') ref: string,
    @Args('keyIds', { type: () => [ID], nullable: true }) keyIds?: string[] | null,
    @Args('publicKey', { type: () => String, nullable: true, description: 'PEM public key (cosign.pub).' }) publicKey?: string | null,
    @Args('certificate', { type: () => String, nullable: true, description: 'PEM certificate whose key verifies.' }) certificate?: string | null,
  ): Promise<Task> {
    return this.signer.verifyImage({ ref, ...(keyIds?.length ? { keyIds } : {}), ...(publicKey ? { publicKey } : {}), ...(certificate ? { certificate } : {}) });
  }

  @Query(() => [ImageSignature], { description: 'The signatures on record for an image: a manifest digest, or an image id (config digest) standing for all its manifest digests; newest check first.' })
  signatures(@Args('image') image: string): Promise<ImageSignature[]> {
    return this.signer.signatures(image);
  }

  @Query(() => [ImageAttestation], { description: 'The attestations on record for an image (manifest digest or image id), newest check first.' })
  attestations(@Args('image') image: string): Promise<ImageAttestation[]> {
    return this.signer.attestations(image);
  }

  @Query(() => ImageSignatureStatusConnection, {
    description: 'Images of the team with open findings of these severities, with their signature state; signed: false keeps those without a valid signature ("CRITICAL findings and no valid signature").',
  })
  imagesBySignature(
    @Args('severity', { type: () => [Severity], description: 'Findings of any of these severities.' }) severity: Severity[],
    @Args('signed', { type: () => Boolean, nullable: true, description: 'true: only signed images; false: only images without a valid signature; absent: both.' }) signed?: boolean | null,
    @Args('first', { type: () => Int, nullable: true, description: 'Page size, 1 to 500 (default 50).' }) first?: number | null,
    @Args('after', { type: () => String, nullable: true, description: 'endCursor of the previous page.' }) after?: string | null,
  ) {
    const size = Math.min(Math.max(first ?? 50, 1), MAX_PAGE);
    return this.signer.imagesBySignature(severity, signed ?? null, size, after ?? null);
  }

  @Query(() => [SigningKey], { description: "The team's server-side signing keys: public parts only." })
  signingKeys(): Promise<SigningKey[]> {
    return this.signer.listKeys();
  }

  @RequireRole('admin')
  @Mutation(() => SigningKey, { description: 'Creates a server-side ECDSA P-256 signing key (private key encrypted with BULKHEAD_SIGNER_MASTER_KEY); returns its public parts.' })
  createSigningKey(@Args('name') name: string): Promise<SigningKey> {
    return this.signer.createKey(name);
  }

  @RequireRole('admin')
  @Mutation(() => SigningKey, { description: "Imports a cosign.key (cosign's encrypted format) as a server-side key: decrypted with `password`, stored encrypted with the master key; returns its public parts." })
  importSigningKey(@Args('name') name: string, @Args('cosignKey') cosignKey: string, @Args('password') password: string): Promise<SigningKey> {
    return this.signer.importKey(name, cosignKey, password);
  }
}
