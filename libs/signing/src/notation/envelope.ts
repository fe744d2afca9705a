import { algorithmForCertificate, verifyBytes } from './algorithms';
import { parseCoseEnvelope } from './cose';
import { COSE_MEDIA_TYPE, JWS_MEDIA_TYPE, type EnvelopeContent } from './envelope-model';
import { NotationError } from './errors';
import { parseJwsEnvelope } from './jws';
import { NOTATION_PAYLOAD_MEDIA_TYPE, parsePayload, type Descriptor } from './payload';

/** Parses a signature envelope by its media type (the signature manifest's layer mediaType). */
export function parseEnvelope(bytes: Uint8Array, mediaType: string): EnvelopeContent {
  if (mediaType === JWS_MEDIA_TYPE) return parseJwsEnvelope(bytes);
  if (mediaType === COSE_MEDIA_TYPE) return parseCoseEnvelope(bytes);
  throw new NotationError('unsupported', `signature envelope media type ${JSON.stringify(mediaType)} is neither ${JWS_MEDIA_TYPE} nor ${COSE_MEDIA_TYPE}`);
}

export interface IntegrityOptions {
  /** Extended critical attributes the caller processes itself; any other one fails verification. */
  understoodCriticalAttributes?: string[];
}

/**
 * The integrity check of the Notary Project: the content type is the Notary payload, the
 * algorithm is the one the signing certificate's key dictates, the signature verifies with that
 * key over the signed bytes, and the payload is a valid `{"targetArtifact": descriptor}`.
 * Returns the signed descriptor. Throws NotationError('integrity' | 'unsupported' | 'malformed').
 */
export function verifyEnvelopeIntegrity(content: EnvelopeContent, options: IntegrityOptions = {}): Descriptor {
  const attrs = content.signedAttributes;
  if (attrs.contentType !== NOTATION_PAYLOAD_MEDIA_TYPE) throw new NotationError('unsupported', `the payload content type is ${JSON.stringify(attrs.contentType)}, not ${NOTATION_PAYLOAD_MEDIA_TYPE}`);
  const unknown = attrs.extendedAttributes.filter((a) => a.critical && !(options.understoodCriticalAttributes ?? []).includes(a.key));
  if (unknown.length > 0) throw new NotationError('unsupported', `the signature marks ${unknown.map((a) => JSON.stringify(a.key)).join(', ')} critical, and this verifier does not process it`);
  const leaf = content.certificateChain[0];
  const expected = algorithmForCertificate(leaf);
  if (expected !== content.algorithm) throw new NotationError('integrity', `the envelope says ${content.algorithm}, but the signing certificate's key requires ${expected}`);
  if (!verifyBytes(content.algorithm, leaf.node.publicKey, content.signingInput, content.signature)) {
    throw new NotationError('integrity', `the ${content.format.toUpperCase()} signature does not verify with the signing certificate's key (${leaf.subjectText})`);
  }
  return parsePayload(content.payload);
}
