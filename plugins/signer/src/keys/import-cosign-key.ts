import { BadInputError } from '@bulkhead/plugin-sdk';
import { loadCosignPrivateKey, SigningFormatError } from '@bulkhead/signing';
import type { ImportingKeyProvider, SigningKeyInfo } from './key-provider';

/** A cosign.key is a few hundred bytes of PEM: refuse anything far larger before decrypting. */
const MAX_COSIGN_KEY_CHARS = 16 * 1024;

/**
 * Imports a cosign.key (cosign's encrypted format) into a provider: decrypted with `password`
 * (a wrong one is a clear error), stored under the provider's own protection, the plaintext
 * PKCS#8 wiped from memory afterwards.
 */
export async function importCosignKey(provider: ImportingKeyProvider, name: string, cosignKey: string, password: string): Promise<SigningKeyInfo> {
  if (cosignKey.length > MAX_COSIGN_KEY_CHARS) throw new BadInputError(`cosignKey: ${cosignKey.length} characters is not a cosign.key (at most ${MAX_COSIGN_KEY_CHARS})`);
  let pkcs8: Buffer;
  try {
    const key = await loadCosignPrivateKey(cosignKey, password, 'cosignKey');
    pkcs8 = key.privateKey.export({ type: 'pkcs8', format: 'der' });
  } catch (error) {
    if (error instanceof SigningFormatError) throw new BadInputError(error.message);
    throw error;
  }
  try {
    return await provider.importKey(name, pkcs8);
  } finally {
    pkcs8.fill(0);
  }
}
