import type { KeyObject } from 'node:crypto';
import { algorithmFromJws, signBytes, type NotationAlgorithm } from './algorithms';
import { asObject, asString, decodeBase64, decodeBase64Url, encodeBase64Url, parseStrictJsonBytes } from './encoding';
import { malformed, NotationError } from './errors';
import { HEADER, JWS_MEDIA_TYPE, SIGNING_SCHEMES, type EnvelopeContent, type ExtendedAttribute, type SignedAttributes, type SigningScheme, rfc3339 } from './envelope-model';
import { MAX_CHAIN_LENGTH, MAX_ENVELOPE_BYTES } from './limits';
import { parseCertificate, type Certificate } from './x509';

// JWS envelope of the Notary Project (specs/signature-envelope-jws.md): the flattened JSON
// serialization of RFC 7515 with the payload base64url-encoded, signed attributes in the
// protected header, and x5c / signing agent / timestamp in the unprotected `header`.

const REGISTERED = new Set(['alg', 'crit', 'cty', HEADER.signingScheme, HEADER.signingTime, HEADER.authenticSigningTime, HEADER.expiry]);
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;

export function parseJwsEnvelope(bytes: Uint8Array): EnvelopeContent {
  if (bytes.length > MAX_ENVELOPE_BYTES) throw malformed(`the JWS envelope is ${bytes.length} bytes (at most ${MAX_ENVELOPE_BYTES})`);
  const doc = asObject(parseStrictJsonBytes(bytes, 'the JWS envelope'), 'the JWS envelope');
  for (const key of Object.keys(doc)) {
    if (!['payload', 'protected', 'header', 'signature'].includes(key)) throw malformed(`the JWS envelope has the member ${JSON.stringify(key)}, which the flattened JWS JSON serialization of a Notary signature does not have`);
  }
  const protectedB64 = asString(doc.protected, 'the JWS protected header');
  const payloadB64 = asString(doc.payload, 'the JWS payload');
  const payload = decodeBase64Url(payloadB64, 'the JWS payload');
  const signature = decodeBase64Url(doc.signature, 'the JWS signature');
  const protectedJson = decodeBase64Url(protectedB64, 'the JWS protected header');
  const header = asObject(parseStrictJsonBytes(protectedJson, 'the JWS protected header'), 'the JWS protected header');
  const algorithm = algorithmFromJws(header.alg);
  const signedAttributes = readSignedAttributes(header);

  const unprotected = doc.header === undefined ? {} : asObject(doc.header, 'the JWS unprotected header');
  const x5c = unprotected.x5c;
  if (!Array.isArray(x5c) || x5c.length === 0) throw malformed('the JWS unprotected header has no x5c certificate chain');
  if (x5c.length > MAX_CHAIN_LENGTH) throw malformed(`the JWS x5c chain has ${x5c.length} certificates (at most ${MAX_CHAIN_LENGTH})`);
  const certificateChain = x5c.map((c, i) => parseCertificate(decodeBase64(c, `x5c[${i}]`), `x5c[${i}]`));
  const signingAgent = unprotected[HEADER.signingAgent];
  const timestamp = unprotected[HEADER.timestampSignature];
  return {
    format: 'jws',
    mediaType: JWS_MEDIA_TYPE,
    algorithm,
    payload,
    signedAttributes,
    certificateChain,
    signature,
    signingInput: Buffer.from(`${protectedB64}.${payloadB64}`, 'ascii'),
    signingAgent: typeof signingAgent === 'string' ? signingAgent : undefined,
    timestampToken: timestamp === undefined ? undefined : decodeBase64(timestamp, `the JWS ${HEADER.timestampSignature}`),
  };
}

function readSignedAttributes(header: Record<string, unknown>): SignedAttributes {
  const crit = header.crit;
  if (!Array.isArray(crit) || crit.length === 0 || !crit.every((c) => typeof c === 'string')) throw malformed('the JWS protected header has no crit list of strings');
  if (new Set(crit).size !== crit.length) throw malformed('the JWS crit list names a header twice');
  for (const name of crit as string[]) {
    if (!(name in header)) throw malformed(`the JWS crit list names ${JSON.stringify(name)}, which the protected header lacks`);
    if (['alg', 'crit', 'cty'].includes(name)) throw malformed(`the JWS crit list names ${JSON.stringify(name)}, a header RFC 7515 forbids there`);
  }
  const scheme = header[HEADER.signingScheme];
  if (!SIGNING_SCHEMES.includes(scheme as SigningScheme)) throw malformed(`the JWS ${HEADER.signingScheme} is ${JSON.stringify(scheme)}, not notary.x509 or notary.x509.signingAuthority`);
  const mustBeCritical = (name: string) => {
    if (name in header && !crit.includes(name)) throw malformed(`the JWS protected header has ${name} but its crit list does not name it`);
  };
  mustBeCritical(HEADER.signingScheme);
  mustBeCritical(HEADER.expiry);
  mustBeCritical(HEADER.authenticSigningTime);
  const attrs: SignedAttributes = {
    signingScheme: scheme as SigningScheme,
    contentType: asString(header.cty, 'the JWS cty header'),
    extendedAttributes: [],
  };
  if (header[HEADER.signingTime] !== undefined) attrs.signingTime = readTime(header[HEADER.signingTime], HEADER.signingTime);
  if (header[HEADER.authenticSigningTime] !== undefined) attrs.authenticSigningTime = readTime(header[HEADER.authenticSigningTime], HEADER.authenticSigningTime);
  if (header[HEADER.expiry] !== undefined) attrs.expiry = readTime(header[HEADER.expiry], HEADER.expiry);
  if (attrs.signingScheme === 'notary.x509' && !attrs.signingTime) throw malformed(`the JWS protected header lacks ${HEADER.signingTime}, which notary.x509 requires`);
  if (attrs.signingScheme === 'notary.x509.signingAuthority' && !attrs.authenticSigningTime) throw malformed(`the JWS protected header lacks ${HEADER.authenticSigningTime}, which notary.x509.signingAuthority requires`);
  for (const [key, value] of Object.entries(header)) {
    if (!REGISTERED.has(key)) attrs.extendedAttributes.push({ key, value, critical: crit.includes(key) });
  }
  return attrs;
}

function readTime(value: unknown, name: string): Date {
  if (typeof value !== 'string' || !RFC3339.test(value)) throw malformed(`the JWS ${name} is not an RFC 3339 time`);
  const time = new Date(value);
  if (Number.isNaN(time.getTime())) throw malformed(`the JWS ${name} is not a valid time`);
  return time;
}

export interface JwsUnprotected {
  certificateChain: Certificate[];
  signingAgent?: string;
}

/** The protected header of a Notary JWS, as bytes (before base64url). */
export function buildJwsProtectedHeader(algorithm: NotationAlgorithm, attrs: SignedAttributes): Buffer {
  const header: Record<string, unknown> = { alg: algorithm, cty: attrs.contentType, [HEADER.signingScheme]: attrs.signingScheme };
  // notation-core-go's order of the crit list: scheme, authentic time, extended, expiry.
  const crit: string[] = [HEADER.signingScheme];
  if (attrs.signingTime) header[HEADER.signingTime] = rfc3339(attrs.signingTime);
  if (attrs.authenticSigningTime) {
    header[HEADER.authenticSigningTime] = rfc3339(attrs.authenticSigningTime);
    crit.push(HEADER.authenticSigningTime);
  }
  for (const ext of attrs.extendedAttributes) {
    checkExtendedKey(ext);
    header[ext.key] = ext.value;
    if (ext.critical) crit.push(ext.key);
  }
  if (attrs.expiry) {
    header[HEADER.expiry] = rfc3339(attrs.expiry);
    crit.push(HEADER.expiry);
  }
  header.crit = crit;
  return Buffer.from(goJson(header), 'utf8');
}

function checkExtendedKey(ext: ExtendedAttribute): void {
  if (REGISTERED.has(ext.key) || ext.key.startsWith('io.cncf.notary')) throw new NotationError('malformed', `the extended attribute ${JSON.stringify(ext.key)} uses a reserved name`);
}

/** Signs the JWS signing input (protected header and payload, base64url, joined by a dot). */
export function signJws(algorithm: NotationAlgorithm, key: KeyObject, payload: Buffer, attrs: SignedAttributes): { protectedB64: string; payloadB64: string; signature: Buffer } {
  const protectedB64 = encodeBase64Url(buildJwsProtectedHeader(algorithm, attrs));
  const payloadB64 = encodeBase64Url(payload);
  const signature = signBytes(algorithm, key, Buffer.from(`${protectedB64}.${payloadB64}`, 'ascii'));
  return { protectedB64, payloadB64, signature };
}

/** The envelope with its unprotected header (the timestamp token is made from the signature first). */
export function assembleJws(protectedB64: string, payloadB64: string, signature: Buffer, input: JwsUnprotected, timestampToken?: Buffer): Buffer {
  const header: Record<string, unknown> = { x5c: input.certificateChain.map((c) => c.der.toString('base64')) };
  if (input.signingAgent) header[HEADER.signingAgent] = input.signingAgent;
  if (timestampToken) header[HEADER.timestampSignature] = timestampToken.toString('base64');
  return Buffer.from(JSON.stringify({ payload: payloadB64, protected: protectedB64, header, signature: encodeBase64Url(signature) }), 'utf8');
}

/**
 * JSON as Go's encoding/json writes a map: keys sorted, and <, >, &, U+2028, U+2029 escaped.
 * notation-core-go marshals the protected header that way, so identical inputs give identical
 * bytes (the conformance vectors compare them).
 */
export function goJson(value: unknown): string {
  return JSON.stringify(sortKeys(value)).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}
