import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, KeyObject, sign, verify, X509Certificate } from 'node:crypto';
import { decryptWithPassword, encryptWithPassword, EncryptOptions } from './encrypted';
import { SigningFormatError } from './errors';
import { encodePem, parsePem, parseSinglePem } from './pem';

/** PEM types of cosign.key: cosign 1.x wrote COSIGN, later versions write SIGSTORE; both load. */
export const SIGSTORE_PRIVATE_KEY_PEM_TYPE = 'ENCRYPTED SIGSTORE PRIVATE KEY';
export const COSIGN_PRIVATE_KEY_PEM_TYPE = 'ENCRYPTED COSIGN PRIVATE KEY';
export const PUBLIC_KEY_PEM_TYPE = 'PUBLIC KEY';

/** The key algorithms cosign signs and verifies with, by the hash each one signs over. */
export type KeyAlgorithm = 'ecdsa-p256-sha256' | 'ecdsa-p384-sha384' | 'ecdsa-p521-sha512' | 'rsa-pkcs1v15-sha256' | 'ed25519';

export interface CosignKeyPairPem {
  /** cosign.key: PEM "ENCRYPTED SIGSTORE PRIVATE KEY". */
  privateKeyPem: string;
  /** cosign.pub: PEM "PUBLIC KEY" (PKIX). */
  publicKeyPem: string;
}

/** A loaded private key with its public half. */
export interface SigningKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  algorithm: KeyAlgorithm;
}

/**
 * Generates a key pair as `cosign generate-key-pair` does: ECDSA P-256, the private key as
 * PKCS#8 DER encrypted with the password (scrypt N=65536 + nacl/secretbox) in a PEM block
 * "ENCRYPTED SIGSTORE PRIVATE KEY", the public key as PKIX PEM. An empty password is allowed.
 */
export async function generateCosignKeyPair(password: string | Uint8Array, options: EncryptOptions = {}): Promise<CosignKeyPairPem> {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return { privateKeyPem: await encryptCosignPrivateKey(privateKey, password, options), publicKeyPem: publicKeyToPem(publicKey) };
}

/**
 * Encrypts any supported private key in cosign's format (what `cosign import-key-pair` does with
 * a PEM key from elsewhere). `pemType` may name the older COSIGN type.
 */
export async function encryptCosignPrivateKey(
  privateKey: KeyObject,
  password: string | Uint8Array,
  options: EncryptOptions & { pemType?: typeof SIGSTORE_PRIVATE_KEY_PEM_TYPE | typeof COSIGN_PRIVATE_KEY_PEM_TYPE } = {},
): Promise<string> {
  if (privateKey.type !== 'private') throw new SigningFormatError('encryptCosignPrivateKey: expected a private key');
  keyAlgorithm(privateKey, 'private key');
  const pkcs8 = privateKey.export({ format: 'der', type: 'pkcs8' });
  const body = await encryptWithPassword(pkcs8, password, options);
  return encodePem(options.pemType ?? SIGSTORE_PRIVATE_KEY_PEM_TYPE, body);
}

/**
 * Loads cosign.key with its password. A wrong password is "cosign.key: wrong password or
 * corrupted key"; `what` replaces "cosign.key" in messages (a file name, say).
 */
export async function loadCosignPrivateKey(pem: string | Uint8Array, password: string | Uint8Array, what = 'cosign.key'): Promise<SigningKey> {
  const block = parseSinglePem(pem, what, [SIGSTORE_PRIVATE_KEY_PEM_TYPE, COSIGN_PRIVATE_KEY_PEM_TYPE]);
  const pkcs8 = await decryptWithPassword(block.der, password, what);
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
  } catch (error) {
    throw new SigningFormatError(`${what}: the decrypted key is not a PKCS#8 private key (${(error as Error).message})`);
  } finally {
    pkcs8.fill(0);
  }
  const algorithm = keyAlgorithm(privateKey, what);
  return { privateKey, publicKey: createPublicKey(privateKey), algorithm };
}

/**
 * Loads an unencrypted PEM private key ("PRIVATE KEY" PKCS#8, "EC PRIVATE KEY" SEC1 or
 * "RSA PRIVATE KEY" PKCS#1): the inputs `cosign import-key-pair` accepts.
 */
export function loadPlainPrivateKey(pem: string | Uint8Array, what = 'private key'): SigningKey {
  const block = parseSinglePem(pem, what, ['PRIVATE KEY', 'EC PRIVATE KEY', 'RSA PRIVATE KEY']);
  const type = block.type === 'PRIVATE KEY' ? 'pkcs8' : block.type === 'EC PRIVATE KEY' ? 'sec1' : 'pkcs1';
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: block.der, format: 'der', type });
  } catch (error) {
    throw new SigningFormatError(`${what}: not a valid ${block.type} (${(error as Error).message})`);
  }
  return { privateKey, publicKey: createPublicKey(privateKey), algorithm: keyAlgorithm(privateKey, what) };
}

/** Loads a PKIX "PUBLIC KEY" PEM (cosign.pub): ECDSA P-256/384/521, RSA 2048–4096, Ed25519. */
export function loadPublicKey(pem: string | Uint8Array, what = 'public key'): KeyObject {
  const block = parseSinglePem(pem, what, [PUBLIC_KEY_PEM_TYPE]);
  let publicKey: KeyObject;
  try {
    publicKey = createPublicKey({ key: block.der, format: 'der', type: 'spki' });
  } catch (error) {
    throw new SigningFormatError(`${what}: not a valid PKIX public key (${(error as Error).message})`);
  }
  keyAlgorithm(publicKey, what);
  return publicKey;
}

export interface CertificateKey {
  publicKey: KeyObject;
  /** The leaf (first) certificate. */
  certificate: X509Certificate;
  /** The certificates after the leaf, in file order (the chain, when the file carries one). */
  chain: X509Certificate[];
}

/**
 * The public key of a PEM certificate (`--cert`). The file may carry a chain after the leaf; every
 * block must be a CERTIFICATE. The chain is not validated here (that needs a trust root).
 */
export function publicKeyFromCertificate(pem: string | Uint8Array, what = 'certificate'): CertificateKey {
  const blocks = parsePem(pem, what);
  const certs = blocks.map((block, i) => {
    if (block.type !== 'CERTIFICATE') throw new SigningFormatError(`${what}: PEM block ${i + 1} is "${block.type}", expected "CERTIFICATE"`);
    return certificateFromDer(block.der, `${what}: certificate ${i + 1}`);
  });
  const [certificate, ...chain] = certs;
  keyAlgorithm(certificate.publicKey, what);
  return { publicKey: certificate.publicKey, certificate, chain };
}

/** Parses one DER certificate with a clear error. */
export function certificateFromDer(der: Uint8Array, what: string): X509Certificate {
  try {
    return new X509Certificate(der);
  } catch (error) {
    throw new SigningFormatError(`${what}: not a valid X.509 certificate (${(error as Error).message})`);
  }
}

/** PKIX PEM of a public key, as cosign writes cosign.pub. */
export function publicKeyToPem(key: KeyObject): string {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  return encodePem(PUBLIC_KEY_PEM_TYPE, publicKey.export({ format: 'der', type: 'spki' }));
}

/**
 * The key hint sigstore clients put in `verificationMaterial.publicKey.hint`: base64 of the
 * SHA-256 of the PKIX DER public key.
 */
export function publicKeyHint(key: KeyObject): string {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  return createHash('sha256').update(publicKey.export({ format: 'der', type: 'spki' })).digest('base64');
}

/**
 * The algorithm of a key, refusing what cosign refuses: curves other than P-256/384/521 (e.g.
 * secp256k1), RSA outside 2048–4096 bits, DSA, X25519 and the like.
 */
export function keyAlgorithm(key: KeyObject, what = 'key'): KeyAlgorithm {
  const details = key.asymmetricKeyDetails ?? {};
  switch (key.asymmetricKeyType) {
    case 'ec':
      switch (details.namedCurve) {
        case 'prime256v1':
          return 'ecdsa-p256-sha256';
        case 'secp384r1':
          return 'ecdsa-p384-sha384';
        case 'secp521r1':
          return 'ecdsa-p521-sha512';
        default:
          throw new SigningFormatError(`${what}: ECDSA curve ${details.namedCurve ?? 'unknown'} is not supported (P-256, P-384 or P-521)`);
      }
    case 'rsa': {
      const bits = details.modulusLength ?? 0;
      if (bits < 2048 || bits > 4096) throw new SigningFormatError(`${what}: RSA key of ${bits} bits is not supported (2048 to 4096)`);
      return 'rsa-pkcs1v15-sha256';
    }
    case 'ed25519':
      return 'ed25519';
    default:
      throw new SigningFormatError(`${what}: key type ${key.asymmetricKeyType ?? 'unknown'} is not supported (ECDSA, RSA or Ed25519)`);
  }
}

function hashOf(algorithm: KeyAlgorithm): string | null {
  switch (algorithm) {
    case 'ecdsa-p256-sha256':
    case 'rsa-pkcs1v15-sha256':
      return 'sha256';
    case 'ecdsa-p384-sha384':
      return 'sha384';
    case 'ecdsa-p521-sha512':
      return 'sha512';
    case 'ed25519':
      return null;
  }
}

/**
 * Signs bytes the way cosign does with a key: ECDSA over the curve's hash, ASN.1 DER encoded;
 * RSA PKCS#1 v1.5 over SHA-256; Ed25519 over the message itself.
 */
export function signBytes(privateKey: KeyObject, data: Uint8Array): Buffer {
  const algorithm = keyAlgorithm(privateKey, 'signing key');
  return sign(hashOf(algorithm), data, algorithm.startsWith('ecdsa') ? { key: privateKey, dsaEncoding: 'der' } : privateKey);
}

/**
 * Verifies a signature made by signBytes (or by cosign). Never throws on a malformed signature:
 * it simply does not verify. ECDSA keys on P-384/P-521 are also tried with SHA-256, since cosign
 * versions that loaded every key with crypto.SHA256 signed that way.
 */
export function verifyBytes(publicKey: KeyObject, data: Uint8Array, signature: Uint8Array): boolean {
  const algorithm = keyAlgorithm(publicKey, 'verification key');
  const hashes = algorithm.startsWith('ecdsa') && algorithm !== 'ecdsa-p256-sha256' ? [hashOf(algorithm), 'sha256'] : [hashOf(algorithm)];
  const key = algorithm.startsWith('ecdsa') ? { key: publicKey, dsaEncoding: 'der' as const } : publicKey;
  return hashes.some((hash) => {
    try {
      return verify(hash, data, key, signature);
    } catch {
      return false;
    }
  });
}

/** True when both keys are the same public key (compared by their PKIX DER). */
export function samePublicKey(a: KeyObject, b: KeyObject): boolean {
  const der = (k: KeyObject) => (k.type === 'private' ? createPublicKey(k) : k).export({ format: 'der', type: 'spki' });
  return der(a).equals(der(b));
}

/**
 * Why `signature` cannot be a signature of this key's algorithm at all (before any cryptography),
 * or undefined when its shape fits: ECDSA signatures are a DER SEQUENCE of two INTEGERs, Ed25519
 * ones 64 bytes, RSA ones as long as the modulus. Lets a verifier tell a garbage signature
 * (bad-signature) from a real one made by another key (wrong-key).
 */
export function signatureShapeProblem(publicKey: KeyObject, signature: Uint8Array): string | undefined {
  const algorithm = keyAlgorithm(publicKey, 'verification key');
  if (signature.length === 0) return 'the signature is empty';
  if (algorithm === 'ed25519') return signature.length === 64 ? undefined : `an Ed25519 signature is 64 bytes, not ${signature.length}`;
  if (algorithm === 'rsa-pkcs1v15-sha256') {
    const bytes = Math.ceil((publicKey.asymmetricKeyDetails?.modulusLength ?? 0) / 8);
    return signature.length === bytes ? undefined : `an RSA signature of this key is ${bytes} bytes, not ${signature.length}`;
  }
  return isDerEcdsaSignature(signature) ? undefined : 'the signature is not an ASN.1 DER ECDSA signature (SEQUENCE of two INTEGERs)';
}

function isDerEcdsaSignature(sig: Uint8Array): boolean {
  let at = 0;
  const length = (): number => {
    const first = sig[at++];
    if (first === undefined) return -1;
    if (first < 0x80) return first;
    if (first !== 0x81) return -1; // an ECDSA signature up to P-521 is under 256 bytes
    const value = sig[at++];
    return value === undefined || value < 0x80 ? -1 : value;
  };
  if (sig[at++] !== 0x30) return false;
  const total = length();
  if (total < 0 || at + total !== sig.length) return false;
  for (let i = 0; i < 2; i++) {
    if (sig[at++] !== 0x02) return false;
    const n = length();
    if (n <= 0 || at + n > sig.length) return false;
    at += n;
  }
  return at === sig.length;
}
