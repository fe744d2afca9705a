/**
 * Server-side signing keys behind one interface, so that a KMS can stand in for the local
 * provider: callers see public parts and ask for signatures; private keys never leave the
 * provider (never returned by the API, never logged).
 */

/** The one algorithm server keys use: cosign's default (ECDSA P-256, SHA-256, ASN.1 DER signatures). */
export const SERVER_KEY_ALGORITHM = 'ECDSA_P256_SHA256';

export interface SigningKeyInfo {
  id: string;
  name: string;
  /** Which provider holds the private key (`local`: encrypted in Postgres). */
  provider: string;
  algorithm: typeof SERVER_KEY_ALGORITHM;
  /** PKIX `PUBLIC KEY` PEM, as in cosign.pub. */
  publicKeyPem: string;
  /** SHA-256 of the DER public key, hex: the key's hint in bundles and in signature records. */
  fingerprint: string;
  createdAt: Date;
}

export interface SigningKeyProvider {
  readonly name: string;
  /** A new key pair named `name` (unique within the team). */
  create(name: string): Promise<SigningKeyInfo>;
  /** Public parts of every key, oldest first. */
  list(): Promise<SigningKeyInfo[]>;
  /** By id or by name; null when the team has no such key. */
  find(idOrName: string): Promise<SigningKeyInfo | null>;
  /**
   * An ECDSA P-256 signature (ASN.1 DER) over SHA-256(`payload`). The payload rather than its
   * digest is passed because node's crypto signs messages, not pre-hashed digests; a KMS
   * provider hashes it and sends the 32-byte digest (MessageType DIGEST).
   */
  sign(keyId: string, payload: Buffer): Promise<Buffer>;
}

/** Providers that can also take a private key generated elsewhere (cosign.key). */
export interface ImportingKeyProvider extends SigningKeyProvider {
  /** `pkcs8Der`: the unencrypted PKCS#8 private key, wiped by the caller afterwards. */
  importKey(name: string, pkcs8Der: Buffer): Promise<SigningKeyInfo>;
}
