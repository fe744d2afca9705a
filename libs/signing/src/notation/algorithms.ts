import { createPrivateKey, createPublicKey, KeyObject, sign as cryptoSign, verify as cryptoVerify, constants } from 'node:crypto';
import { NotationError } from './errors';
import type { Certificate } from './x509';

/** The six algorithms of the Notary Project (signature specification, "Algorithm Selection"). */
export type NotationAlgorithm = 'PS256' | 'PS384' | 'PS512' | 'ES256' | 'ES384' | 'ES512';

interface AlgorithmInfo {
  hash: 'sha256' | 'sha384' | 'sha512';
  kind: 'rsa' | 'ec';
  /** COSE algorithm identifier (RFC 9053): PS256 -37, PS384 -38, PS512 -39, ES256 -7, ES384 -35, ES512 -36. */
  cose: number;
  /** Bytes of r and of s in a raw ECDSA signature (RFC 7518 section 3.4). */
  ecCoordinateBytes?: number;
}

export const ALGORITHMS: Record<NotationAlgorithm, AlgorithmInfo> = {
  PS256: { hash: 'sha256', kind: 'rsa', cose: -37 },
  PS384: { hash: 'sha384', kind: 'rsa', cose: -38 },
  PS512: { hash: 'sha512', kind: 'rsa', cose: -39 },
  ES256: { hash: 'sha256', kind: 'ec', cose: -7, ecCoordinateBytes: 32 },
  ES384: { hash: 'sha384', kind: 'ec', cose: -35, ecCoordinateBytes: 48 },
  ES512: { hash: 'sha512', kind: 'ec', cose: -36, ecCoordinateBytes: 66 },
};

export function algorithmFromCose(id: unknown): NotationAlgorithm {
  const found = (Object.keys(ALGORITHMS) as NotationAlgorithm[]).find((a) => ALGORITHMS[a].cose === id);
  if (!found) throw new NotationError('unsupported', `COSE algorithm ${String(id)} is not one of the Notary Project's (-37, -38, -39, -7, -35, -36)`);
  return found;
}

export function algorithmFromJws(name: unknown): NotationAlgorithm {
  if (typeof name !== 'string' || !(name in ALGORITHMS)) throw new NotationError('unsupported', `JWS algorithm ${JSON.stringify(name)} is not one of the Notary Project's (PS256, PS384, PS512, ES256, ES384, ES512)`);
  return name as NotationAlgorithm;
}

/**
 * The algorithm a key must use: the key's type and size decide it, never the envelope (so a
 * 4096-bit RSA certificate cannot be paired with a weaker PS256 signature).
 */
export function algorithmForKey(key: KeyObject): NotationAlgorithm {
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'rsa' || key.asymmetricKeyType === 'rsa-pss') {
    switch (details.modulusLength) {
      case 2048:
        return 'PS256';
      case 3072:
        return 'PS384';
      case 4096:
        return 'PS512';
    }
    throw new NotationError('unsupported', `an RSA key of ${details.modulusLength} bits has no Notary Project algorithm (2048, 3072 or 4096)`);
  }
  if (key.asymmetricKeyType === 'ec') {
    switch (details.namedCurve) {
      case 'prime256v1':
        return 'ES256';
      case 'secp384r1':
        return 'ES384';
      case 'secp521r1':
        return 'ES512';
    }
    throw new NotationError('unsupported', `an EC key on ${details.namedCurve} has no Notary Project algorithm (P-256, P-384, P-521)`);
  }
  throw new NotationError('unsupported', `a ${key.asymmetricKeyType} key has no Notary Project algorithm (RSA or ECDSA)`);
}

export function algorithmForCertificate(cert: Certificate): NotationAlgorithm {
  return algorithmForKey(cert.node.publicKey);
}

/** Signs `data`: RSASSA-PSS with salt length = hash length, or ECDSA with a raw r||s signature. */
export function signBytes(algorithm: NotationAlgorithm, key: KeyObject, data: Uint8Array): Buffer {
  const info = ALGORITHMS[algorithm];
  if (info.kind === 'rsa') {
    return cryptoSign(info.hash, data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST });
  }
  return cryptoSign(info.hash, data, { key, dsaEncoding: 'ieee-p1363' });
}

export function verifyBytes(algorithm: NotationAlgorithm, key: KeyObject, data: Uint8Array, signature: Uint8Array): boolean {
  const info = ALGORITHMS[algorithm];
  if (info.kind === 'rsa') {
    return cryptoVerify(info.hash, data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST }, signature);
  }
  // A raw ECDSA signature has a fixed length; node would accept a shorter one padded on its side.
  if (signature.length !== 2 * (info.ecCoordinateBytes ?? 0)) return false;
  return cryptoVerify(info.hash, data, { key, dsaEncoding: 'ieee-p1363' }, signature);
}

/** A private key from PEM (PKCS#8, PKCS#1 or SEC1) or a KeyObject. */
export function toPrivateKey(key: KeyObject | string | Buffer): KeyObject {
  if (key instanceof KeyObject) {
    if (key.type !== 'private') throw new NotationError('malformed', 'the signing key is not a private key');
    return key;
  }
  try {
    return createPrivateKey(key);
  } catch (error) {
    throw new NotationError('malformed', `the signing key is not a readable private key: ${(error as Error).message}`);
  }
}

/** True when the private key belongs to the certificate (so a signature will verify with it). */
export function keyMatchesCertificate(key: KeyObject, cert: Certificate): boolean {
  const pub = createPublicKey(key).export({ format: 'der', type: 'spki' });
  return Buffer.compare(pub, cert.node.publicKey.export({ format: 'der', type: 'spki' })) === 0;
}
