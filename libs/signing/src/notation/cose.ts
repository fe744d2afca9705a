import type { KeyObject } from 'node:crypto';
import { ALGORITHMS, algorithmFromCose, signBytes, type NotationAlgorithm } from './algorithms';
import { canonicalMap, decodeCbor, encodeCbor, Tag } from './cbor';
import { malformed, NotationError } from './errors';
import { COSE_MEDIA_TYPE, HEADER, SIGNING_SCHEMES, type EnvelopeContent, type SignedAttributes, type SigningScheme } from './envelope-model';
import { MAX_CHAIN_LENGTH, MAX_ENVELOPE_BYTES } from './limits';
import { parseCertificate, type Certificate } from './x509';

// COSE envelope of the Notary Project (specs/signature-envelope-cose.md): COSE_Sign1_Tagged
// (tag 18) with the payload attached, signed attributes in the protected header (times as tag 1
// epoch seconds), x5chain (label 33), signing agent and timestamp in the unprotected header.

const COSE_SIGN1_TAG = 18;
const LABEL = { alg: 1, crit: 2, contentType: 3, x5chain: 33 } as const;
const REGISTERED = new Set<string | number>([LABEL.alg, LABEL.crit, LABEL.contentType, HEADER.signingScheme, HEADER.signingTime, HEADER.authenticSigningTime, HEADER.expiry]);

export function parseCoseEnvelope(bytes: Uint8Array): EnvelopeContent {
  if (bytes.length > MAX_ENVELOPE_BYTES) throw malformed(`the COSE envelope is ${bytes.length} bytes (at most ${MAX_ENVELOPE_BYTES})`);
  const top = decodeCbor(bytes, 'the COSE envelope');
  if (!(top instanceof Tag) || top.tag !== COSE_SIGN1_TAG) throw malformed('the COSE envelope is not a COSE_Sign1_Tagged message (CBOR tag 18)');
  const parts = top.value as unknown;
  if (!Array.isArray(parts) || parts.length !== 4) throw malformed('the COSE_Sign1 message is not an array of 4 items');
  const [protectedBytes, unprotected, payload, signature] = parts as unknown[];
  if (!(protectedBytes instanceof Uint8Array)) throw malformed('the COSE protected header is not a byte string');
  if (!(unprotected instanceof Map)) throw malformed('the COSE unprotected header is not a map');
  if (payload === null || payload === undefined) throw malformed('the COSE payload is detached; a Notary signature carries it');
  if (!(payload instanceof Uint8Array)) throw malformed('the COSE payload is not a byte string');
  if (!(signature instanceof Uint8Array)) throw malformed('the COSE signature is not a byte string');
  if (protectedBytes.length === 0) throw malformed('the COSE protected header is empty');
  const header = decodeCbor(protectedBytes, 'the COSE protected header');
  if (!(header instanceof Map)) throw malformed('the COSE protected header is not a map');
  const algorithm = algorithmFromCose(header.get(LABEL.alg));
  const signedAttributes = readSignedAttributes(header);

  const chain = unprotected.get(LABEL.x5chain);
  const ders = chain instanceof Uint8Array ? [chain] : chain;
  if (!Array.isArray(ders) || ders.length === 0) throw malformed('the COSE unprotected header has no x5chain (label 33)');
  if (ders.length > MAX_CHAIN_LENGTH) throw malformed(`the COSE x5chain has ${ders.length} certificates (at most ${MAX_CHAIN_LENGTH})`);
  const certificateChain = ders.map((der, i) => {
    if (!(der instanceof Uint8Array)) throw malformed(`x5chain[${i}] is not a byte string`);
    return parseCertificate(der, `x5chain[${i}]`);
  });
  const agent = unprotected.get(HEADER.signingAgent);
  const token = unprotected.get(HEADER.timestampSignature);
  if (token !== undefined && !(token instanceof Uint8Array)) throw malformed(`the COSE ${HEADER.timestampSignature} is not a byte string`);
  return {
    format: 'cose',
    mediaType: COSE_MEDIA_TYPE,
    algorithm,
    payload: Buffer.from(payload),
    signedAttributes,
    certificateChain,
    signature: Buffer.from(signature),
    signingInput: sigStructure(protectedBytes, payload),
    signingAgent: typeof agent === 'string' ? agent : undefined,
    timestampToken: token ? Buffer.from(token) : undefined,
  };
}

/** Sig_structure of RFC 9052 section 4.4: ["Signature1", protected, external_aad = h'', payload]. */
function sigStructure(protectedBytes: Uint8Array, payload: Uint8Array): Buffer {
  return encodeCbor(['Signature1', Buffer.from(protectedBytes), Buffer.alloc(0), Buffer.from(payload)]);
}

function readSignedAttributes(header: Map<unknown, unknown>): SignedAttributes {
  const crit = header.get(LABEL.crit);
  if (!Array.isArray(crit) || crit.length === 0 || !crit.every((c) => typeof c === 'string' || Number.isInteger(c))) throw malformed('the COSE protected header has no crit list (label 2) of labels');
  if (new Set(crit).size !== crit.length) throw malformed('the COSE crit list names a label twice');
  for (const label of crit) if (!header.has(label)) throw malformed(`the COSE crit list names ${JSON.stringify(label)}, which the protected header lacks`);
  const scheme = header.get(HEADER.signingScheme);
  if (!SIGNING_SCHEMES.includes(scheme as SigningScheme)) throw malformed(`the COSE ${HEADER.signingScheme} is ${JSON.stringify(scheme)}, not notary.x509 or notary.x509.signingAuthority`);
  for (const name of [HEADER.signingScheme, HEADER.expiry, HEADER.authenticSigningTime]) {
    if (header.has(name) && !crit.includes(name)) throw malformed(`the COSE protected header has ${name} but its crit list does not name it`);
  }
  const contentType = header.get(LABEL.contentType);
  if (typeof contentType !== 'string') throw malformed('the COSE content type (label 3) is not a text string');
  const attrs: SignedAttributes = { signingScheme: scheme as SigningScheme, contentType, extendedAttributes: [] };
  if (header.has(HEADER.signingTime)) attrs.signingTime = readTime(header.get(HEADER.signingTime), HEADER.signingTime);
  if (header.has(HEADER.authenticSigningTime)) attrs.authenticSigningTime = readTime(header.get(HEADER.authenticSigningTime), HEADER.authenticSigningTime);
  if (header.has(HEADER.expiry)) attrs.expiry = readTime(header.get(HEADER.expiry), HEADER.expiry);
  if (attrs.signingScheme === 'notary.x509' && !attrs.signingTime) throw malformed(`the COSE protected header lacks ${HEADER.signingTime}, which notary.x509 requires`);
  if (attrs.signingScheme === 'notary.x509.signingAuthority' && !attrs.authenticSigningTime) throw malformed(`the COSE protected header lacks ${HEADER.authenticSigningTime}, which notary.x509.signingAuthority requires`);
  for (const [key, value] of header) {
    if (!REGISTERED.has(key as string | number)) attrs.extendedAttributes.push({ key: String(key), value, critical: crit.includes(key) });
  }
  return attrs;
}

/** Notary times are tag 1 (epoch-based date/time), which the decoder turns into a Date. */
function readTime(value: unknown, name: string): Date {
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) throw malformed(`the COSE ${name} is not a tag 1 epoch time`);
  return value;
}

export interface CoseSignInput {
  algorithm: NotationAlgorithm;
  key: KeyObject;
  payload: Buffer;
  signedAttributes: SignedAttributes;
  certificateChain: Certificate[];
  signingAgent?: string;
}

/** The protected header of a Notary COSE envelope, as its deterministic CBOR bytes. */
export function buildCoseProtectedHeader(algorithm: NotationAlgorithm, attrs: SignedAttributes): Buffer {
  const entries: Array<[number | string, unknown]> = [
    [LABEL.alg, ALGORITHMS[algorithm].cose],
    [LABEL.contentType, attrs.contentType],
    [HEADER.signingScheme, attrs.signingScheme],
  ];
  // notation-core-go's crit order: scheme, authentic time, expiry, extended.
  const crit: Array<string | number> = [HEADER.signingScheme];
  const epoch = (d: Date) => new Tag(Math.floor(d.getTime() / 1000), 1);
  if (attrs.signingTime) entries.push([HEADER.signingTime, epoch(attrs.signingTime)]);
  if (attrs.authenticSigningTime) {
    entries.push([HEADER.authenticSigningTime, epoch(attrs.authenticSigningTime)]);
    crit.push(HEADER.authenticSigningTime);
  }
  if (attrs.expiry) {
    entries.push([HEADER.expiry, epoch(attrs.expiry)]);
    crit.push(HEADER.expiry);
  }
  for (const ext of attrs.extendedAttributes) {
    if (REGISTERED.has(ext.key) || ext.key.startsWith('io.cncf.notary')) throw new NotationError('malformed', `the extended attribute ${JSON.stringify(ext.key)} uses a reserved name`);
    entries.push([ext.key, ext.value]);
    if (ext.critical) crit.push(ext.key);
  }
  entries.push([LABEL.crit, crit]);
  return encodeCbor(canonicalMap(entries));
}

export function signCose(input: CoseSignInput): { protectedHeader: Buffer; signature: Buffer } {
  const protectedHeader = buildCoseProtectedHeader(input.algorithm, input.signedAttributes);
  const signature = signBytes(input.algorithm, input.key, sigStructure(protectedHeader, input.payload));
  return { protectedHeader, signature };
}

/** COSE_Sign1_Tagged bytes with the unprotected header (x5chain, agent, optional timestamp). */
export function assembleCose(protectedHeader: Buffer, payload: Buffer, signature: Buffer, input: Pick<CoseSignInput, 'certificateChain' | 'signingAgent'>, timestampToken?: Buffer): Buffer {
  const unprotected: Array<[number | string, unknown]> = [[LABEL.x5chain, input.certificateChain.map((c) => c.der)]];
  if (input.signingAgent) unprotected.push([HEADER.signingAgent, input.signingAgent]);
  if (timestampToken) unprotected.push([HEADER.timestampSignature, timestampToken]);
  return encodeCbor(new Tag([protectedHeader, canonicalMap(unprotected), payload, signature], COSE_SIGN1_TAG));
}
