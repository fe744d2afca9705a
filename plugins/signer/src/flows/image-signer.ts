import type { KeyObject } from 'node:crypto';
import { signBytes } from '@bulkhead/signing';
import { publicKeyFingerprint } from '../keys/fingerprint';
import type { SigningKeyProvider } from '../keys/key-provider';

/**
 * What signs: a local key (the CLI's cosign.key) or a server key behind a provider. The flows
 * see only this, so a KMS-backed provider signs the same way.
 */
export interface ImageSigner {
  readonly publicKey: KeyObject;
  /** ASN.1 DER signature over SHA-256(payload) (ECDSA P-256 for cosign keys). */
  sign(payload: Buffer): Promise<Buffer>;
}

export function localSigner(privateKey: KeyObject, publicKey: KeyObject): ImageSigner {
  return { publicKey, sign: async (payload) => signBytes(privateKey, payload) };
}

export function providerSigner(provider: SigningKeyProvider, keyId: string, publicKey: KeyObject): ImageSigner {
  return { publicKey, sign: (payload) => provider.sign(keyId, payload) };
}

/** `key:<sha256 of the DER public key>`: how a key verifier is named in signature records. */
export function keyVerifierName(publicKey: KeyObject): string {
  return `key:${publicKeyFingerprint(publicKey)}`;
}
