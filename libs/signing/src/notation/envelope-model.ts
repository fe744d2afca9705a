import type { NotationAlgorithm } from './algorithms';
import type { Certificate } from './x509';

export type SigningScheme = 'notary.x509' | 'notary.x509.signingAuthority';
export const SIGNING_SCHEMES: readonly SigningScheme[] = ['notary.x509', 'notary.x509.signingAuthority'];

export const JWS_MEDIA_TYPE = 'application/jose+json';
export const COSE_MEDIA_TYPE = 'application/cose';
export type EnvelopeMediaType = typeof JWS_MEDIA_TYPE | typeof COSE_MEDIA_TYPE;
export type EnvelopeFormat = 'jws' | 'cose';

/** Header names the Notary Project defines (the same strings in JWS and COSE). */
export const HEADER = {
  signingScheme: 'io.cncf.notary.signingScheme',
  signingTime: 'io.cncf.notary.signingTime',
  authenticSigningTime: 'io.cncf.notary.authenticSigningTime',
  expiry: 'io.cncf.notary.expiry',
  signingAgent: 'io.cncf.notary.signingAgent',
  timestampSignature: 'io.cncf.notary.timestampSignature',
} as const;

/** A signed attribute outside the Notary set; `critical` ones must be understood by a verifier. */
export interface ExtendedAttribute {
  key: string;
  value: unknown;
  critical: boolean;
}

export interface SignedAttributes {
  signingScheme: SigningScheme;
  /** notary.x509: the signer's clock, not authenticated. */
  signingTime?: Date;
  /** notary.x509.signingAuthority: a time the signing authority vouches for. */
  authenticSigningTime?: Date;
  expiry?: Date;
  contentType: string;
  extendedAttributes: ExtendedAttribute[];
}

/** What a parsed envelope holds, the same for JWS and COSE. Nothing in it is verified yet. */
export interface EnvelopeContent {
  format: EnvelopeFormat;
  mediaType: EnvelopeMediaType;
  algorithm: NotationAlgorithm;
  /** The raw payload bytes (JSON `{"targetArtifact": …}` once verified). */
  payload: Buffer;
  signedAttributes: SignedAttributes;
  /** Signing certificate first, root last, as the envelope lists them. */
  certificateChain: Certificate[];
  /** The signature value: what an RFC 3161 timestamp countersigns. */
  signature: Buffer;
  /** The exact bytes the signature covers (JWS signing input, COSE Sig_structure). */
  signingInput: Buffer;
  signingAgent?: string;
  /** DER RFC 3161 TimeStampToken over `signature`, when the signer had one made. */
  timestampToken?: Buffer;
}

/** RFC 3339 at second precision in UTC, as notation writes times into a JWS header. */
export function rfc3339(date: Date): string {
  return new Date(Math.floor(date.getTime() / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}
