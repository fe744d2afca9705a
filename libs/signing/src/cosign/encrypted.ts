import { randomBytes, scrypt } from 'node:crypto';
import nacl from 'tweetnacl';
import { decodeBase64, parseJson, requireObject, requireString } from './bounded';
import { SigningFormatError } from './errors';

/**
 * The password-encrypted container of secure-systems-lab/go-securesystemslib `encrypted`, which
 * cosign uses for the body of cosign.key:
 *
 *   {"kdf":{"name":"scrypt","params":{"N":65536,"r":8,"p":1},"salt":"<b64 32 bytes>"},
 *    "cipher":{"name":"nacl/secretbox","nonce":"<b64 24 bytes>"},
 *    "ciphertext":"<b64 secretbox output: 16-byte Poly1305 tag, then the encrypted bytes>"}
 *
 * key = scrypt(password, salt, N, r, p, 32 bytes); ciphertext = secretbox(plaintext, nonce, key).
 * Go writes []byte fields as standard padded base64 and struct fields in this order.
 */

/**
 * The scrypt parameter sets go-securesystemslib accepts (Legacy, Standard, OWASP), and no
 * others: a hostile file naming N = 2^30 must not make us allocate 1 TiB. Standard is what cosign
 * writes.
 */
export const SCRYPT_PARAMETER_SETS = {
  legacy: { N: 32768, r: 8, p: 1 },
  standard: { N: 65536, r: 8, p: 1 },
  owasp: { N: 131072, r: 8, p: 1 },
} as const;

export type ScryptParams = { N: number; r: number; p: number };

const SALT_BYTES = 32;
const NONCE_BYTES = nacl.secretbox.nonceLength; // 24
const KEY_BYTES = nacl.secretbox.keyLength; // 32
/** scrypt needs 128 * N * r bytes: 128 MiB for OWASP. Node's default cap is 32 MiB. */
const SCRYPT_MAXMEM = 160 * 1024 * 1024;
/** A cosign.key body holds a PKCS#8 key: RSA-4096 is about 2.4 KiB. */
const MAX_PLAINTEXT = 16 * 1024;

export interface EncryptOptions {
  params?: ScryptParams;
  /** Fixed salt and nonce, for reproducible tests only. */
  salt?: Uint8Array;
  nonce?: Uint8Array;
}

/** Encrypts `plaintext` under `password` (may be empty, as cosign allows) into the JSON bytes. */
export async function encryptWithPassword(plaintext: Uint8Array, password: string | Uint8Array, options: EncryptOptions = {}): Promise<Buffer> {
  const params = options.params ?? SCRYPT_PARAMETER_SETS.standard;
  checkParams(params, 'encryption');
  const salt = Buffer.from(options.salt ?? randomBytes(SALT_BYTES));
  const nonce = Buffer.from(options.nonce ?? randomBytes(NONCE_BYTES));
  if (nonce.length !== NONCE_BYTES) throw new SigningFormatError(`encryption: nonce must be ${NONCE_BYTES} bytes`);
  const key = await deriveKey(password, salt, params);
  const ciphertext = nacl.secretbox(plaintext, nonce, key);
  key.fill(0);
  const doc = {
    kdf: { name: 'scrypt', params: { N: params.N, r: params.r, p: params.p }, salt: salt.toString('base64') },
    cipher: { name: 'nacl/secretbox', nonce: nonce.toString('base64') },
    ciphertext: Buffer.from(ciphertext).toString('base64'),
  };
  return Buffer.from(JSON.stringify(doc));
}

/**
 * Decrypts the JSON bytes. `what` names the file in errors. A wrong password and a tampered
 * ciphertext are indistinguishable by design (the Poly1305 tag fails): both get one message.
 */
export async function decryptWithPassword(encrypted: Uint8Array, password: string | Uint8Array, what: string): Promise<Buffer> {
  const doc = requireObject(parseJson(encrypted, what, 64 * 1024), what);
  const kdf = requireObject(doc.kdf, `${what}: kdf`);
  if (kdf.name !== 'scrypt') throw new SigningFormatError(`${what}: unsupported key derivation ${JSON.stringify(kdf.name)} (only "scrypt")`);
  const rawParams = requireObject(kdf.params, `${what}: kdf.params`);
  const params = { N: rawParams.N, r: rawParams.r, p: rawParams.p };
  if (![params.N, params.r, params.p].every((n) => typeof n === 'number' && Number.isSafeInteger(n))) {
    throw new SigningFormatError(`${what}: kdf.params N, r and p must be integers`);
  }
  checkParams(params as ScryptParams, what);
  const salt = decodeBase64(kdf.salt, `${what}: kdf.salt`, 1024);
  if (salt.length === 0) throw new SigningFormatError(`${what}: kdf.salt is empty`);
  const cipher = requireObject(doc.cipher, `${what}: cipher`);
  if (cipher.name !== 'nacl/secretbox') throw new SigningFormatError(`${what}: unsupported cipher ${JSON.stringify(cipher.name)} (only "nacl/secretbox")`);
  const nonce = decodeBase64(cipher.nonce, `${what}: cipher.nonce`, 64);
  if (nonce.length !== NONCE_BYTES) throw new SigningFormatError(`${what}: cipher.nonce must be ${NONCE_BYTES} bytes, got ${nonce.length}`);
  requireString(doc.ciphertext, `${what}: ciphertext`);
  const ciphertext = decodeBase64(doc.ciphertext, `${what}: ciphertext`, MAX_PLAINTEXT + nacl.secretbox.overheadLength);
  if (ciphertext.length < nacl.secretbox.overheadLength) throw new SigningFormatError(`${what}: ciphertext shorter than its authentication tag`);
  const key = await deriveKey(password, salt, params as ScryptParams);
  const plaintext = nacl.secretbox.open(ciphertext, nonce, key);
  key.fill(0);
  if (plaintext === null) throw new SigningFormatError(`${what}: wrong password or corrupted key`);
  return Buffer.from(plaintext);
}

function checkParams(params: ScryptParams, what: string): void {
  const known = Object.values(SCRYPT_PARAMETER_SETS).some((s) => s.N === params.N && s.r === params.r && s.p === params.p);
  if (!known) {
    throw new SigningFormatError(
      `${what}: unsupported scrypt parameters N=${params.N} r=${params.r} p=${params.p} (accepted: N=32768, 65536 or 131072 with r=8 p=1, as cosign)`,
    );
  }
}

function deriveKey(password: string | Uint8Array, salt: Uint8Array, params: ScryptParams): Promise<Buffer> {
  const secret = typeof password === 'string' ? Buffer.from(password, 'utf8') : Buffer.from(password);
  return new Promise((resolve, reject) =>
    scrypt(secret, salt, KEY_BYTES, { N: params.N, r: params.r, p: params.p, maxmem: SCRYPT_MAXMEM }, (error, key) => (error ? reject(error) : resolve(key))),
  );
}
