import type { KeyObject } from 'node:crypto';
import { ALGORITHMS, algorithmForCertificate, keyMatchesCertificate, toPrivateKey } from './algorithms';
import { assembleCose, signCose } from './cose';
import { COSE_MEDIA_TYPE, JWS_MEDIA_TYPE, type EnvelopeFormat, type EnvelopeMediaType, type ExtendedAttribute, type SigningScheme } from './envelope-model';
import { NotationError } from './errors';
import { assembleJws, signJws } from './jws';
import { buildPayload, NOTATION_PAYLOAD_MEDIA_TYPE, type Descriptor } from './payload';
import { certificateInvalidAt, parseCertificate, parseCertificateFile, validateCertificateChain, type Certificate } from './x509';

/**
 * Asks a time-stamping authority for an RFC 3161 token over `signature` (the raw signature
 * value) and returns the DER TimeStampToken. Network access stays with the caller.
 */
export type Timestamper = (signature: Buffer, hashAlgorithm: 'sha256' | 'sha384' | 'sha512') => Promise<Buffer>;

export interface SignNotationOptions {
  format: EnvelopeFormat;
  /** The manifest being signed (its descriptor becomes `targetArtifact`). */
  descriptor: Descriptor;
  /** PEM (PKCS#8, PKCS#1, SEC1) or a KeyObject. */
  key: KeyObject | string | Buffer;
  /** Signing certificate first, root last: parsed certificates, DER buffers, or PEM text with all of them. */
  certificateChain: Certificate[] | Buffer[] | string;
  signingScheme?: SigningScheme;
  /** Defaults to now; for notary.x509.signingAuthority it is the authentic signing time. */
  signingTime?: Date;
  expiry?: Date;
  signingAgent?: string;
  extendedAttributes?: ExtendedAttribute[];
  timestamper?: Timestamper;
}

export interface SignedEnvelope {
  envelope: Buffer;
  mediaType: EnvelopeMediaType;
  certificateChain: Certificate[];
  signature: Buffer;
}

/**
 * Signs a descriptor into a Notary Project envelope. Validates first what a verifier will check
 * (certificate requirements, key/certificate match, validity at signing time), so a signature it
 * returns is one a conforming verifier accepts given a trust policy that trusts the chain.
 */
export async function signNotation(options: SignNotationOptions): Promise<SignedEnvelope> {
  const chain = toChain(options.certificateChain);
  validateCertificateChain(chain, 'codeSigning');
  const key = toPrivateKey(options.key);
  if (!keyMatchesCertificate(key, chain[0])) throw new NotationError('certificate', `the signing key does not belong to the signing certificate (${chain[0].subjectText})`);
  const algorithm = algorithmForCertificate(chain[0]);
  const signingScheme = options.signingScheme ?? 'notary.x509';
  const time = options.signingTime ?? new Date();
  const invalid = certificateInvalidAt(chain, time);
  if (invalid) throw new NotationError('certificate', `certificate ${invalid.subjectText} is not valid at the signing time ${time.toISOString()} (valid ${invalid.notBefore.toISOString()} to ${invalid.notAfter.toISOString()})`);
  if (options.expiry && options.expiry.getTime() <= time.getTime()) throw new NotationError('malformed', 'the expiry is not after the signing time');
  const signedAttributes = {
    signingScheme,
    contentType: NOTATION_PAYLOAD_MEDIA_TYPE,
    extendedAttributes: options.extendedAttributes ?? [],
    expiry: options.expiry,
    ...(signingScheme === 'notary.x509' ? { signingTime: time } : { authenticSigningTime: time }),
  };
  const payload = buildPayload(options.descriptor);
  const stamp = async (signature: Buffer) => (options.timestamper && signingScheme === 'notary.x509' ? options.timestamper(signature, ALGORITHMS[algorithm].hash) : undefined);
  const input = { algorithm, key, payload, signedAttributes, certificateChain: chain, signingAgent: options.signingAgent };
  if (options.format === 'jws') {
    const { protectedB64, payloadB64, signature } = signJws(algorithm, key, payload, signedAttributes);
    const envelope = assembleJws(protectedB64, payloadB64, signature, input, await stamp(signature));
    return { envelope, mediaType: JWS_MEDIA_TYPE, certificateChain: chain, signature };
  }
  if (options.format === 'cose') {
    const { protectedHeader, signature } = signCose(input);
    const envelope = assembleCose(protectedHeader, payload, signature, input, await stamp(signature));
    return { envelope, mediaType: COSE_MEDIA_TYPE, certificateChain: chain, signature };
  }
  throw new NotationError('unsupported', `envelope format ${JSON.stringify(options.format)} is neither jws nor cose`);
}

function toChain(chain: Certificate[] | Buffer[] | string): Certificate[] {
  if (typeof chain === 'string') return parseCertificateFile(Buffer.from(chain, 'utf8'), 'the certificate chain');
  return chain.map((c, i) => (Buffer.isBuffer(c) ? parseCertificate(c, `certificate ${i} of the chain`) : c));
}
