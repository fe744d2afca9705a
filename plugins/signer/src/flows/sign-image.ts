import type { RegistryClient } from '@bulkhead/oci';
import type { SignatureCheck } from '../store/signature-records';
import { signBundle } from './cosign-bundle';
import { signLegacy, type WrittenSignature } from './cosign-legacy';
import type { ImageSigner } from './image-signer';
import { keyVerifierName } from './image-signer';
import { publicKeyFingerprint } from '../keys/fingerprint';
import { resolveImage } from './resolve';

export interface SignImageOptions {
  /** cosign's forms to write: both (default), legacy (.sig tag) or bundle (referrer). */
  format?: 'both' | 'legacy' | 'bundle';
  /** simple-signing `optional` claims (cosign -a key=value). */
  annotations?: Record<string, string>;
}

export interface SignImageResult {
  /** registry/repository@digest that was signed. */
  reference: string;
  digest: string;
  written: WrittenSignature[];
  /** The signatures as records (valid: made by this key over this digest). */
  checks: SignatureCheck[];
}

/** Resolves the tag to its manifest digest and signs that digest in the requested forms. */
export async function signImageFormats(client: RegistryClient, reference: string, signer: ImageSigner, options: SignImageOptions = {}): Promise<SignImageResult> {
  const image = await resolveImage(client, reference);
  const format = options.format ?? 'both';
  const written: WrittenSignature[] = [];
  if (format !== 'bundle') written.push(await signLegacy(client, image, signer, options.annotations));
  if (format !== 'legacy') written.push(await signBundle(client, image, signer, options.annotations));
  const verifier = keyVerifierName(signer.publicKey);
  const identity = `key:${publicKeyFingerprint(signer.publicKey)}`;
  return {
    reference: image.pinned,
    digest: image.digest,
    written,
    checks: written.map((w) => ({ imageDigest: image.digest, reference: image.pinned, format: w.format, signatureDigest: w.signatureDigest, verifier, identity, valid: true, reason: null })),
  };
}
