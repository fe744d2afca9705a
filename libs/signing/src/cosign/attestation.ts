import { KeyObject } from 'node:crypto';
import { DsseEnvelope, parseDsseEnvelope, serializeDsseEnvelope, signDsse, verifyDsse } from './dsse';
import { checkStatement, IN_TOTO_PAYLOAD_TYPE, InTotoStatement, parseStatement, statementBytes } from './in-toto';
import { MEDIA_TYPES, OciBlob } from './oci';
import { buildSignatureLayer } from './signature-image';

/**
 * Legacy cosign attestations (`cosign attest` without the new bundle format): each attestation is
 * one layer of the manifest at the `sha256-<hex>.att` tag; its blob is the DSSE envelope JSON
 * (media type application/vnd.dsse.envelope.v1+json), its annotations are an empty
 * dev.cosignproject.cosign/signature and dev.cosignproject.cosign/predicateType. Build the
 * manifest with buildSignatureImage, as for signatures.
 */
export function signStatement(privateKey: KeyObject, statement: InTotoStatement): DsseEnvelope {
  return signDsse(privateKey, IN_TOTO_PAYLOAD_TYPE, statementBytes(statement));
}

export function buildAttestationLayer(envelope: DsseEnvelope, predicateType: string): OciBlob {
  return buildSignatureLayer({ payload: serializeDsseEnvelope(envelope), mediaType: MEDIA_TYPES.dsseEnvelope, signature: '', predicateType });
}

export type AttestationVerification =
  | { ok: true; statement: InTotoStatement }
  | { ok: false; reason: 'malformed-envelope' | 'bad-signature' | 'wrong-key' | 'malformed-statement' | 'subject-mismatch' | 'predicate-type-mismatch'; message: string };

/**
 * Verifies one attestation layer blob (DSSE envelope JSON): the signature with `publicKey`, the
 * payload type, then the statement's subject against the image digest and its predicate type.
 */
export function verifyAttestation(envelopeBytes: Uint8Array, publicKey: KeyObject, imageDigest: string, predicateType?: string): AttestationVerification {
  let envelope: DsseEnvelope;
  try {
    envelope = parseDsseEnvelope(envelopeBytes);
  } catch (error) {
    return { ok: false, reason: 'malformed-envelope', message: (error as Error).message };
  }
  const verified = verifyDsse(envelope, publicKey, IN_TOTO_PAYLOAD_TYPE);
  if (!verified.ok) return verified;
  let statement: InTotoStatement;
  try {
    statement = parseStatement(verified.payload);
  } catch (error) {
    return { ok: false, reason: 'malformed-statement', message: (error as Error).message };
  }
  const check = checkStatement(statement, imageDigest, predicateType);
  return check.ok ? { ok: true, statement } : check;
}
