import { Type } from '@nestjs/common';
import { Parent, ResolveField, Resolver } from '@nestjs/graphql';
import { hostGraphqlType, type HostImageParent } from '@bulkhead/plugin-sdk/api';
import { ImageAttestation, ImageSignature } from './signer.model';
import { SignerService } from './signer.service';

/**
 * `Image.signatures`, `Image.attestations` and `Image.signed` on the host's Image type: what the
 * signature records hold for any of the image's manifest digests. Declared inside the module
 * factory (hostGraphqlType exists only inside the API).
 */
export function imageSignatureFieldsResolver(): Type {
  @Resolver(() => hostGraphqlType('Image'))
  class ImageSignatureFields {
    constructor(readonly signer: SignerService) {}

    @ResolveField(() => [ImageSignature], { description: 'Signatures on record for any of the manifest digests of the image, newest check first.' })
    signatures(@Parent() image: HostImageParent & { manifestDigests?: string[] }): Promise<ImageSignature[]> {
      return this.signer.signatures(image.digest);
    }

    @ResolveField(() => [ImageAttestation], { description: 'Attestations on record for any of the manifest digests of the image, newest check first.' })
    attestations(@Parent() image: HostImageParent): Promise<ImageAttestation[]> {
      return this.signer.attestations(image.digest);
    }

    @ResolveField(() => Boolean, { description: 'A valid signature over one of its manifest digests is on record.' })
    async signed(@Parent() image: HostImageParent): Promise<boolean> {
      return (await this.signer.signatures(image.digest)).some((s) => s.valid);
    }
  }
  return ImageSignatureFields;
}
