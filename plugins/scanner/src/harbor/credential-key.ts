import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/*
 * The registry credential Harbor sends with a scan request (a robot account's short-lived
 * `Basic` credentials) must reach the worker that pulls the image, and nothing else. It is
 * stored in the plugin's `harbor_scan` row sealed with AES-256-GCM under a key only the API and
 * the workers hold (this setting, never in the database), bound to its row by the GCM
 * additional data (a sealed value copied to another row does not open), and deleted when the
 * scan ends or its time runs out. It is never in a task input, a response or a log line.
 */

export const CREDENTIAL_KEY_SETTING = 'BULKHEAD_HARBOR_CREDENTIAL_KEY';

const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** Layout of a sealed value: version byte, IV, GCM tag, ciphertext. */
const FORMAT_VERSION = 1;

export class CredentialKeyError extends Error {
  override readonly name = 'CredentialKeyError';
}

/** The AES-256 key from its setting (32 bytes, base64: `openssl rand -base64 32`), or undefined when unset. */
export function parseCredentialKey(text: string | undefined): Buffer | undefined {
  const value = text?.trim();
  if (!value) return undefined;
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(value) || value.length % 4 !== 0) throw new CredentialKeyError(`${CREDENTIAL_KEY_SETTING} is not base64 (make one with \`openssl rand -base64 32\`)`);
  const key = Buffer.from(value, 'base64');
  if (key.length !== KEY_BYTES) throw new CredentialKeyError(`${CREDENTIAL_KEY_SETTING} must decode to ${KEY_BYTES} bytes, not ${key.length} (make one with \`openssl rand -base64 32\`)`);
  return key;
}

/** Encrypts `secret` for the row named by `binding` (the scan id and team). */
export function sealCredential(key: Buffer, secret: string, binding: string): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(binding, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
  return Buffer.concat([Buffer.from([FORMAT_VERSION]), iv, cipher.getAuthTag(), ciphertext]);
}

/** Decrypts a sealed credential; throws (without any of the secret) when the key, binding or bytes are wrong. */
export function openCredential(key: Buffer, sealed: Buffer, binding: string): string {
  if (sealed.length < 1 + IV_BYTES + TAG_BYTES || sealed[0] !== FORMAT_VERSION) throw new CredentialKeyError('the stored registry credential is not in a known format');
  const iv = sealed.subarray(1, 1 + IV_BYTES);
  const tag = sealed.subarray(1 + IV_BYTES, 1 + IV_BYTES + TAG_BYTES);
  const decipher = createDecipheriv('aes-256-gcm', key, iv);
  decipher.setAAD(Buffer.from(binding, 'utf8'));
  decipher.setAuthTag(tag);
  try {
    return Buffer.concat([decipher.update(sealed.subarray(1 + IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
  } catch {
    throw new CredentialKeyError(`the stored registry credential does not open with ${CREDENTIAL_KEY_SETTING} (the API and the workers must share one key)`);
  }
}
