import { createHash, createPublicKey, type KeyObject } from 'node:crypto';

/** SHA-256 of the DER SubjectPublicKeyInfo, hex: how keys are named in signature records and in the API. */
export function publicKeyFingerprint(key: KeyObject): string {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  return createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex');
}
