import { createHash, createPublicKey } from 'node:crypto';

/*
 * How the policy names a trusted key, and how signature records name the key that verified a
 * signature: `key:<sha256 hex of the DER SubjectPublicKeyInfo>` (the signer's fingerprint, shown
 * by `signingKeys`). A PEM public key in the policy is turned into that name at start-up.
 */

const FINGERPRINT = /^key:[0-9a-f]{64}$/;
const PEM_PUBLIC_KEY = /^-----BEGIN PUBLIC KEY-----\r?\n[A-Za-z0-9+/=\r\n]+-----END PUBLIC KEY-----\r?\n?$/;

/** The `key:<fingerprint>` a policy entry names, or why it names none. */
export function trustedKeyFingerprint(entry: string): string | { problem: string } {
  const text = entry.trim();
  if (FINGERPRINT.test(text.toLowerCase())) return text.toLowerCase();
  if (/^[0-9a-fA-F]{64}$/.test(text)) return `key:${text.toLowerCase()}`;
  if (text.startsWith('-----BEGIN')) {
    // Only a public key: a private key would also yield its public half, but it must never sit in a policy file.
    if (!PEM_PUBLIC_KEY.test(`${text}\n`)) return { problem: 'is PEM but not one `-----BEGIN PUBLIC KEY-----` block (private keys and certificates are refused)' };
    try {
      const der = createPublicKey({ key: text, format: 'pem' }).export({ type: 'spki', format: 'der' });
      return `key:${createHash('sha256').update(der).digest('hex')}`;
    } catch (error) {
      return { problem: `is not a readable public key: ${(error as Error).message}` };
    }
  }
  return { problem: 'is neither a PEM public key nor a key fingerprint (key:<64 hex>)' };
}
