import { KeyObject } from 'node:crypto';
import { decodeBase64, isRecord, LIMITS, parseJson } from './bounded';
import { SigningFormatError } from './errors';
import { signatureShapeProblem, signBytes, verifyBytes } from './keys';

/**
 * DSSE (Dead Simple Signing Envelope, secure-systems-lab/dsse v1). The signature covers the
 * pre-authentication encoding, never the bare payload, so a payload cannot be replayed under
 * another payloadType.
 */
export interface DsseSignature {
  keyid?: string;
  sig: string;
}

export interface DsseEnvelope {
  payloadType: string;
  /** base64 of the payload bytes. */
  payload: string;
  signatures: DsseSignature[];
}

/** PAE(type, body) = "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body, lengths in bytes as ASCII decimal. */
export function preAuthEncoding(payloadType: string, payload: Uint8Array): Buffer {
  const type = Buffer.from(payloadType, 'utf8');
  return Buffer.concat([Buffer.from(`DSSEv1 ${type.length} `), type, Buffer.from(` ${payload.length} `), Buffer.from(payload)]);
}

/** Signs `payload` into an envelope. `keyid` defaults to "" as cosign writes it. */
export function signDsse(privateKey: KeyObject, payloadType: string, payload: Uint8Array, keyid = ''): DsseEnvelope {
  const sig = signBytes(privateKey, preAuthEncoding(payloadType, payload)).toString('base64');
  return { payloadType, payload: Buffer.from(payload).toString('base64'), signatures: [{ keyid, sig }] };
}

/**
 * The envelope as cosign writes it in an `.att` layer (Go struct order: payloadType, payload,
 * signatures[{keyid, sig}]).
 */
export function serializeDsseEnvelope(envelope: DsseEnvelope): Buffer {
  return Buffer.from(
    JSON.stringify({
      payloadType: envelope.payloadType,
      payload: envelope.payload,
      signatures: envelope.signatures.map((s) => ({ keyid: s.keyid ?? '', sig: s.sig })),
    }),
  );
}

/** Parses an envelope from JSON bytes or an already-parsed object (a bundle's dsseEnvelope). */
export function parseDsseEnvelope(input: Uint8Array | unknown, what = 'DSSE envelope'): DsseEnvelope {
  const doc = input instanceof Uint8Array ? parseJson(input, what, LIMITS.payloadBytes * 2) : input;
  if (!isRecord(doc)) throw new SigningFormatError(`${what}: expected a JSON object`);
  if (typeof doc.payloadType !== 'string' || doc.payloadType.length === 0) throw new SigningFormatError(`${what}: payloadType must be a non-empty string`);
  if (typeof doc.payload !== 'string') throw new SigningFormatError(`${what}: payload must be a base64 string`);
  if (!Array.isArray(doc.signatures) || doc.signatures.length === 0) throw new SigningFormatError(`${what}: signatures must be a non-empty array`);
  if (doc.signatures.length > 16) throw new SigningFormatError(`${what}: more than 16 signatures`);
  const signatures = doc.signatures.map((s, i) => {
    if (!isRecord(s) || typeof s.sig !== 'string') throw new SigningFormatError(`${what}: signatures[${i}].sig must be a string`);
    if (s.keyid !== undefined && typeof s.keyid !== 'string') throw new SigningFormatError(`${what}: signatures[${i}].keyid must be a string`);
    return s.keyid === undefined ? { sig: s.sig } : { keyid: s.keyid as string, sig: s.sig };
  });
  return { payloadType: doc.payloadType, payload: doc.payload, signatures };
}

/** The payload bytes of an envelope (strict base64, bounded). */
export function dssePayload(envelope: DsseEnvelope, what = 'DSSE envelope'): Buffer {
  return decodeBase64(envelope.payload, `${what}: payload`, LIMITS.payloadBytes, { urlSafe: true });
}

export type DsseVerification =
  | { ok: true; payload: Buffer; payloadType: string }
  | { ok: false; reason: 'malformed-envelope' | 'bad-signature' | 'wrong-key'; message: string };

/**
 * Verifies that at least one signature of the envelope was made by `publicKey` over the PAE of its
 * payloadType and payload. Signatures that are not base64 are skipped; if none is usable the
 * reason is bad-signature.
 */
export function verifyDsse(envelope: DsseEnvelope, publicKey: KeyObject, expectedPayloadType?: string): DsseVerification {
  let payload: Buffer;
  try {
    payload = dssePayload(envelope);
  } catch (error) {
    return { ok: false, reason: 'malformed-envelope', message: (error as Error).message };
  }
  if (expectedPayloadType !== undefined && envelope.payloadType !== expectedPayloadType) {
    return { ok: false, reason: 'malformed-envelope', message: `DSSE payloadType is ${JSON.stringify(envelope.payloadType)}, expected ${JSON.stringify(expectedPayloadType)}` };
  }
  const pae = preAuthEncoding(envelope.payloadType, payload);
  let usable = 0;
  for (const signature of envelope.signatures) {
    let sig: Buffer;
    try {
      sig = decodeBase64(signature.sig, 'DSSE signature', LIMITS.signatureBytes, { urlSafe: true });
    } catch {
      continue;
    }
    if (signatureShapeProblem(publicKey, sig) !== undefined) continue;
    usable++;
    if (verifyBytes(publicKey, pae, sig)) return { ok: true, payload, payloadType: envelope.payloadType };
  }
  if (usable === 0) return { ok: false, reason: 'bad-signature', message: 'DSSE envelope has no well-formed signature' };
  return { ok: false, reason: 'wrong-key', message: 'no DSSE signature verifies with the given key (made by another key, or the envelope was altered)' };
}
