import { KeyObject } from 'node:crypto';
import { decodeBase64, isRecord, LIMITS, parseJson, requireDigest } from './bounded';
import { SigningFormatError } from './errors';
import { goJson, struct } from './go-json';
import { signatureShapeProblem, signBytes, verifyBytes } from './keys';

/** `critical.type` of every cosign simple-signing payload. */
export const COSIGN_SIGNATURE_TYPE = 'cosign container image signature';

export interface SimpleSigningPayloadInput {
  /** The image reference the signature claims (cosign: the repository, e.g. `reg.example/app`). */
  dockerReference: string;
  /** The signed manifest's digest, `sha256:<hex>`. */
  manifestDigest: string;
  /** `cosign sign -a key=value` annotations; null/undefined gives `"optional":null` as cosign. */
  optional?: Record<string, unknown> | null;
}

/**
 * The simple-signing payload bytes exactly as cosign writes them (sigstore's payload.Cosign
 * marshalled by Go's encoding/json):
 * {"critical":{"identity":{"docker-reference":R},"image":{"docker-manifest-digest":D},
 *  "type":"cosign container image signature"},"optional":null|{sorted annotations}}
 */
export function buildSimpleSigningPayload(input: SimpleSigningPayloadInput): Buffer {
  requireDigest(input.manifestDigest, 'manifestDigest');
  if (typeof input.dockerReference !== 'string') throw new SigningFormatError('dockerReference: expected a string');
  const doc = struct({
    critical: struct({
      identity: struct({ 'docker-reference': input.dockerReference }),
      image: struct({ 'docker-manifest-digest': input.manifestDigest }),
      type: COSIGN_SIGNATURE_TYPE,
    }),
    optional: input.optional ?? null,
  });
  return Buffer.from(goJson(doc));
}

export interface SimpleSigningPayload {
  dockerReference: string;
  manifestDigest: string;
  optional: Record<string, unknown> | null;
}

/** Parses a simple-signing payload, checking its shape and type as cosign does. */
export function parseSimpleSigningPayload(payload: Uint8Array): SimpleSigningPayload {
  const what = 'simple-signing payload';
  const doc = parseJson(payload, what, LIMITS.payloadBytes);
  if (!isRecord(doc) || !isRecord(doc.critical)) throw new SigningFormatError(`${what}: no "critical" object`);
  const { critical } = doc;
  if (critical.type !== COSIGN_SIGNATURE_TYPE) throw new SigningFormatError(`${what}: critical.type is ${JSON.stringify(critical.type)}, expected "${COSIGN_SIGNATURE_TYPE}"`);
  if (!isRecord(critical.image)) throw new SigningFormatError(`${what}: no critical.image object`);
  const manifestDigest = requireDigest(critical.image['docker-manifest-digest'], `${what}: critical.image.docker-manifest-digest`);
  const identity = isRecord(critical.identity) ? critical.identity : {};
  const dockerReference = typeof identity['docker-reference'] === 'string' ? identity['docker-reference'] : '';
  const optional = doc.optional === undefined || doc.optional === null ? null : isRecord(doc.optional) ? doc.optional : undefined;
  if (optional === undefined) throw new SigningFormatError(`${what}: "optional" must be an object or null`);
  return { dockerReference, manifestDigest, optional };
}

/** Signs payload bytes: the base64 value of the `dev.cosignproject.cosign/signature` annotation. */
export function signPayload(privateKey: KeyObject, payload: Uint8Array): string {
  return signBytes(privateKey, payload).toString('base64');
}

/**
 * Why a signature was refused:
 * - malformed-payload: the payload is not a cosign simple-signing document;
 * - bad-signature: the signature value is not a signature at all (not base64, empty, too long);
 * - wrong-key: a well-formed signature that this key did not make over these bytes (another key
 *   signed it, or the payload was altered after signing);
 * - digest-mismatch: a valid signature, but over another manifest digest than the image's;
 * - reference-mismatch: a valid signature claiming another repository than required.
 */
export type SignatureFailureReason = 'malformed-payload' | 'bad-signature' | 'wrong-key' | 'digest-mismatch' | 'reference-mismatch';

export type SimpleSigningVerification =
  | { ok: true; payload: SimpleSigningPayload }
  | { ok: false; reason: SignatureFailureReason; message: string; payload?: SimpleSigningPayload };

export interface VerifySimpleSigningInput {
  /** The payload bytes (the signature layer blob). */
  payload: Uint8Array;
  /** The base64 signature (the layer's dev.cosignproject.cosign/signature annotation). */
  signature: string;
  publicKey: KeyObject;
  /** The digest of the image manifest being verified. */
  expectedDigest: string;
  /** When given, critical.identity.docker-reference must equal it. */
  expectedReference?: string;
}

/**
 * Verifies one legacy cosign signature as `cosign verify --key` does: the signature over the exact
 * payload bytes first, then the payload's type and digest against the image's digest.
 */
export function verifySimpleSigning(input: VerifySimpleSigningInput): SimpleSigningVerification {
  requireDigest(input.expectedDigest, 'expectedDigest');
  let signature: Buffer;
  try {
    signature = decodeBase64(input.signature, 'signature', LIMITS.signatureBytes);
    const problem = signatureShapeProblem(input.publicKey, signature);
    if (problem) throw new SigningFormatError(`signature: ${problem}`);
  } catch (error) {
    return { ok: false, reason: 'bad-signature', message: (error as Error).message };
  }
  if (input.payload.length > LIMITS.payloadBytes) return { ok: false, reason: 'malformed-payload', message: `payload larger than ${LIMITS.payloadBytes} bytes` };
  if (!verifyBytes(input.publicKey, input.payload, signature)) {
    return { ok: false, reason: 'wrong-key', message: 'signature does not verify with the given key (made by another key, or the payload was altered)' };
  }
  let payload: SimpleSigningPayload;
  try {
    payload = parseSimpleSigningPayload(input.payload);
  } catch (error) {
    return { ok: false, reason: 'malformed-payload', message: (error as Error).message };
  }
  if (payload.manifestDigest !== input.expectedDigest) {
    return { ok: false, reason: 'digest-mismatch', message: `signature is for ${payload.manifestDigest}, not for the image ${input.expectedDigest}`, payload };
  }
  if (input.expectedReference !== undefined && payload.dockerReference !== input.expectedReference) {
    return { ok: false, reason: 'reference-mismatch', message: `signature claims ${JSON.stringify(payload.dockerReference)}, expected ${JSON.stringify(input.expectedReference)}`, payload };
  }
  return { ok: true, payload };
}
