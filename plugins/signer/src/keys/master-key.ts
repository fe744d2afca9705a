import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { BadInputError } from '@bulkhead/plugin-sdk';

/** The variable holding the key that encrypts server-side signing keys at rest. */
export const MASTER_KEY_SETTING = 'BULKHEAD_SIGNER_MASTER_KEY';

const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** First byte of every sealed value: the layout below, so a later layout can be told apart. */
const SEALED_V1 = 1;

/**
 * A key operation was asked for on a server without a usable master key. Raised only when a key
 * is created, imported or used (never at start-up), so an API without signing keys starts
 * without the variable.
 */
export class MasterKeyError extends BadInputError {}

/**
 * The AES-256 master key from BULKHEAD_SIGNER_MASTER_KEY (32 bytes, base64). The message names
 * the variable and what is wrong with it, never its value.
 */
export function masterKeyFrom(env: NodeJS.ProcessEnv = process.env): Buffer {
  const text = env[MASTER_KEY_SETTING]?.trim();
  if (!text) {
    throw new MasterKeyError(`${MASTER_KEY_SETTING} is not set: server-side signing keys need a 32-byte master key, base64 (e.g. \`openssl rand -base64 32\`)`);
  }
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text) || text.length % 4 !== 0) throw new MasterKeyError(`${MASTER_KEY_SETTING} is not base64`);
  const key = Buffer.from(text, 'base64');
  if (key.length !== KEY_BYTES) throw new MasterKeyError(`${MASTER_KEY_SETTING} must decode to ${KEY_BYTES} bytes (got ${key.length})`);
  return key;
}

/**
 * AES-256-GCM over `plaintext`, bound to `context` (additional data: the key row's team and id),
 * so a sealed key copied into another row or team does not open. Layout: version, IV, tag,
 * ciphertext.
 */
export function seal(masterKey: Buffer, plaintext: Buffer, context: string): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', masterKey, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(context, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([Buffer.of(SEALED_V1), iv, cipher.getAuthTag(), body]);
}

/** Opens what seal() made with the same master key and context; anything else is a clear error. */
export function unseal(masterKey: Buffer, sealed: Buffer, context: string): Buffer {
  if (sealed.length < 1 + IV_BYTES + TAG_BYTES || sealed[0] !== SEALED_V1) throw new MasterKeyError('stored signing key: unknown or truncated encryption layout');
  const iv = sealed.subarray(1, 1 + IV_BYTES);
  const tag = sealed.subarray(1 + IV_BYTES, 1 + IV_BYTES + TAG_BYTES);
  const decipher = createDecipheriv('aes-256-gcm', masterKey, iv, { authTagLength: TAG_BYTES });
  decipher.setAAD(Buffer.from(context, 'utf8'));
  decipher.setAuthTag(tag);
  try {
    return Buffer.concat([decipher.update(sealed.subarray(1 + IV_BYTES + TAG_BYTES)), decipher.final()]);
  } catch {
    throw new MasterKeyError(`stored signing key does not decrypt: ${MASTER_KEY_SETTING} is not the key it was stored with, or the row was altered`);
  }
}
