import { BUNDLE_V03_MEDIA_TYPE, preAuthEncoding, publicKeyHint, type DsseEnvelope, type SigstoreBundle } from '@bulkhead/signing';
import type { ImageSigner } from './image-signer';

/**
 * A DSSE envelope signed through an ImageSigner (a server key signs in its provider, so the
 * library's KeyObject-based signDsse cannot be used): the signature is over the PAE, with the
 * empty keyid cosign writes left out as protojson does.
 */
export async function signDsseWith(signer: ImageSigner, payloadType: string, payload: Buffer): Promise<DsseEnvelope> {
  const signature = await signer.sign(preAuthEncoding(payloadType, payload));
  return { payload: payload.toString('base64'), payloadType, signatures: [{ sig: signature.toString('base64') }] } as DsseEnvelope;
}

/** A key-based Sigstore bundle v0.3 around a DSSE envelope (no transparency log, as cosign --tlog-upload=false). */
export function dsseBundleOf(signer: ImageSigner, envelope: DsseEnvelope): SigstoreBundle {
  return {
    mediaType: BUNDLE_V03_MEDIA_TYPE,
    verificationMaterial: { publicKey: { hint: publicKeyHint(signer.publicKey) }, tlogEntries: [] },
    dsseEnvelope: envelope,
  };
}
