import type { KeyObject } from 'node:crypto';
import { loadCosignPrivateKey, loadPlainPrivateKey, loadPublicKey, publicKeyFromCertificate, SigningFormatError } from '@bulkhead/signing';
import { CliError } from '@bulkhead/plugin-sdk/cli';
import { publicKeyFingerprint } from '../keys/fingerprint';
import type { Verifier } from '../flows/verifiers';
import { MAX_KEY_FILE_BYTES, readBoundedFile } from './files';
import { readPassword, type PasswordSource } from './password';

/** Signing-format errors (bad PEM, wrong password) are the user's to fix: no stack trace. */
export async function asCliError<T>(work: () => Promise<T> | T): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof SigningFormatError) throw new CliError(error.message);
    throw error;
  }
}

/**
 * The private key of `--key FILE`: cosign's encrypted format (password from COSIGN_PASSWORD or
 * the terminal; a wrong one is a clear error), or an unencrypted PKCS#8 / SEC1 PEM.
 */
export async function loadSigningKeyFile(file: string, passwords: PasswordSource): Promise<{ privateKey: KeyObject; publicKey: KeyObject }> {
  const pem = (await readBoundedFile(file, 'key', MAX_KEY_FILE_BYTES)).toString('utf8');
  if (/-----BEGIN ENCRYPTED (SIGSTORE|COSIGN) PRIVATE KEY-----/.test(pem)) {
    const password = await readPassword(passwords, false);
    return asCliError(() => loadCosignPrivateKey(pem, password, file));
  }
  return asCliError(() => loadPlainPrivateKey(pem, file));
}

/** `--key FILE` (cosign.pub) or `--cert FILE` as a verifier. */
export async function loadVerifierFile(options: { key?: string; cert?: string }): Promise<Verifier> {
  if (options.key) {
    const pem = await readBoundedFile(options.key, 'key', MAX_KEY_FILE_BYTES);
    const publicKey = await asCliError(() => loadPublicKey(pem, options.key));
    const name = `key:${publicKeyFingerprint(publicKey)}`;
    return { name, publicKey, identity: name };
  }
  if (options.cert) {
    const pem = await readBoundedFile(options.cert, 'certificate', MAX_KEY_FILE_BYTES);
    const cert = await asCliError(() => publicKeyFromCertificate(pem, options.cert));
    return { name: `cert:${publicKeyFingerprint(cert.publicKey)}`, publicKey: cert.publicKey, identity: cert.certificate.subject };
  }
  throw new CliError('give --key FILE (a public key such as cosign.pub) or --cert FILE', 2);
}
