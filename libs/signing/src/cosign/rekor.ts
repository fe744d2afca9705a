import { createHash, createPublicKey, KeyObject } from 'node:crypto';
import { decodeBase64, isRecord, LIMITS, parseJson, requireObject } from './bounded';
import type { SigstoreBundle } from './bundle';
import { SigningFormatError } from './errors';
import { verifyBytes } from './keys';
import { checkHashedRekordSpec } from './tlog';

/**
 * Rekor's signed entry timestamps (SET, the "inclusion promise"): the log signs the canonical JSON
 * {"body":<base64 entry body>,"integratedTime":<unix s>,"logID":<hex log id>,"logIndex":<n>}
 * (keys sorted, no spaces; cosign's bundle.RekorPayload through a JSON canonicalizer). Checking it
 * needs only the log's public key, so it works offline with a trusted root. Merkle inclusion
 * proofs and checkpoints are not checked here.
 */

export interface TransparencyLogKey {
  /** SHA-256 of the log's PKIX public key, hex (Rekor's log ID). */
  logIdHex: string;
  publicKey: KeyObject;
  validFrom?: Date;
  validUntil?: Date;
  baseUrl?: string;
}

/** A log key from its PEM or DER public key; the log ID is derived as Rekor derives it. */
export function transparencyLogKey(publicKey: KeyObject, baseUrl?: string): TransparencyLogKey {
  const der = publicKey.export({ format: 'der', type: 'spki' });
  return { logIdHex: createHash('sha256').update(der).digest('hex'), publicKey, baseUrl };
}

/**
 * The transparency logs of a Sigstore trusted root (`trusted_root.json`,
 * application/vnd.dev.sigstore.trustedroot+json): their keys, log IDs and validity.
 */
export function trustedRootLogs(bytes: Uint8Array, what = 'trusted root'): TransparencyLogKey[] {
  const doc = requireObject(parseJson(bytes, what, 4 * 1024 * 1024), what);
  if (typeof doc.mediaType !== 'string' || !doc.mediaType.startsWith('application/vnd.dev.sigstore.trustedroot')) {
    throw new SigningFormatError(`${what}: mediaType ${JSON.stringify(doc.mediaType)} is not a Sigstore trusted root`);
  }
  const tlogs = Array.isArray(doc.tlogs) ? doc.tlogs : [];
  return tlogs.slice(0, 64).map((tlog, i) => {
    const at = `${what}: tlogs[${i}]`;
    const t = requireObject(tlog, at);
    const pk = requireObject(t.publicKey, `${at}.publicKey`);
    const der = decodeBase64(pk.rawBytes, `${at}.publicKey.rawBytes`, 16 * 1024);
    let publicKey: KeyObject;
    try {
      publicKey = createPublicKey({ key: der, format: 'der', type: 'spki' });
    } catch (error) {
      throw new SigningFormatError(`${at}: not a PKIX public key (${(error as Error).message})`);
    }
    const logId = isRecord(t.logId) ? decodeBase64(t.logId.keyId, `${at}.logId.keyId`, 64).toString('hex') : createHash('sha256').update(der).digest('hex');
    const validFor = isRecord(pk.validFor) ? pk.validFor : {};
    return {
      logIdHex: logId,
      publicKey,
      validFrom: typeof validFor.start === 'string' ? new Date(validFor.start) : undefined,
      validUntil: typeof validFor.end === 'string' ? new Date(validFor.end) : undefined,
      baseUrl: typeof t.baseUrl === 'string' ? t.baseUrl : undefined,
    };
  });
}

export interface SetInput {
  /** The entry body, base64 (canonicalizedBody). */
  body: string;
  integratedTime: number;
  logIndex: number;
  logIdHex: string;
  /** The SET: base64 ASN.1 signature by the log. */
  signedEntryTimestamp: string;
}

/** The bytes Rekor signs for a SET. */
export function rekorSetPayload(input: Omit<SetInput, 'signedEntryTimestamp'>): Buffer {
  return Buffer.from(JSON.stringify({ body: input.body, integratedTime: input.integratedTime, logID: input.logIdHex, logIndex: input.logIndex }));
}

export type SetVerification = { ok: true; integratedTime: Date; log: TransparencyLogKey } | { ok: false; message: string };

/** Verifies one SET against the known logs: the log named by logID, valid at integratedTime. */
export function verifySet(input: SetInput, logs: TransparencyLogKey[]): SetVerification {
  const log = logs.find((l) => l.logIdHex === input.logIdHex.toLowerCase());
  if (!log) return { ok: false, message: `no trusted transparency log has ID ${input.logIdHex}` };
  const time = new Date(input.integratedTime * 1000);
  if ((log.validFrom && time < log.validFrom) || (log.validUntil && time > log.validUntil)) {
    return { ok: false, message: `the log key ${input.logIdHex.slice(0, 12)}… was not valid at ${time.toISOString()}` };
  }
  let signature: Buffer;
  try {
    signature = decodeBase64(input.signedEntryTimestamp, 'signedEntryTimestamp', LIMITS.signatureBytes);
  } catch (error) {
    return { ok: false, message: (error as Error).message };
  }
  if (!verifyBytes(log.publicKey, rekorSetPayload(input), signature)) return { ok: false, message: 'the signed entry timestamp does not verify with the log key' };
  return { ok: true, integratedTime: time, log };
}

/**
 * Verifies the inclusion promise (SET) of every transparency log entry of a bundle. Entries
 * without one (Rekor v2 entries carry checkpoints instead) are counted as unverified.
 */
export function verifyBundleInclusionPromises(bundle: SigstoreBundle, logs: TransparencyLogKey[]): { ok: true; verified: number; unverified: number; integratedTimes: Date[] } | { ok: false; message: string } {
  let verified = 0;
  let unverified = 0;
  const integratedTimes: Date[] = [];
  for (const [i, raw] of (bundle.verificationMaterial.tlogEntries ?? []).entries()) {
    const entry = isRecord(raw) ? raw : {};
    const promise = isRecord(entry.inclusionPromise) ? entry.inclusionPromise : undefined;
    if (!promise) {
      unverified++;
      continue;
    }
    const logId = isRecord(entry.logId) ? entry.logId.keyId : undefined;
    const integratedTime = Number(entry.integratedTime);
    const logIndex = Number(entry.logIndex);
    if (!Number.isSafeInteger(integratedTime) || !Number.isSafeInteger(logIndex) || typeof entry.canonicalizedBody !== 'string') {
      return { ok: false, message: `tlogEntries[${i}]: integratedTime, logIndex and canonicalizedBody are required with an inclusion promise` };
    }
    let logIdHex: string;
    try {
      logIdHex = decodeBase64(logId, `tlogEntries[${i}].logId.keyId`, 64).toString('hex');
    } catch (error) {
      return { ok: false, message: (error as Error).message };
    }
    const result = verifySet(
      { body: entry.canonicalizedBody, integratedTime, logIndex, logIdHex, signedEntryTimestamp: String(promise.signedEntryTimestamp ?? '') },
      logs,
    );
    if (!result.ok) return { ok: false, message: `tlogEntries[${i}]: ${result.message}` };
    verified++;
    integratedTimes.push(result.integratedTime);
  }
  return { ok: true, verified, unverified, integratedTimes };
}

/**
 * The Rekor bundle of a legacy cosign signature (layer annotation dev.sigstore.cosign/bundle):
 * {"SignedEntryTimestamp":b64,"Payload":{"body":b64,"integratedTime":n,"logIndex":n,"logID":hex}}.
 * Verifies its SET with the known logs, then that the logged hashedrekord entry is this
 * signature over this payload by this key.
 */
export function verifyLegacyRekorBundle(
  annotation: string,
  logs: TransparencyLogKey[],
  signed: { payload: Uint8Array; signature: string; publicKey: KeyObject },
): SetVerification {
  try {
    const doc = requireObject(parseJson(annotation, 'rekor bundle'), 'rekor bundle');
    const payload = requireObject(doc.Payload, 'rekor bundle: Payload');
    const integratedTime = Number(payload.integratedTime);
    const logIndex = Number(payload.logIndex);
    if (typeof payload.body !== 'string' || typeof payload.logID !== 'string' || !Number.isSafeInteger(integratedTime) || !Number.isSafeInteger(logIndex)) {
      throw new SigningFormatError('rekor bundle: Payload needs body, integratedTime, logIndex and logID');
    }
    const result = verifySet(
      { body: payload.body, integratedTime, logIndex, logIdHex: payload.logID, signedEntryTimestamp: String(doc.SignedEntryTimestamp ?? '') },
      logs,
    );
    if (!result.ok) return result;
    const body = requireObject(parseJson(decodeBase64(payload.body, 'rekor bundle: body', 1024 * 1024), 'rekor bundle: body'), 'rekor bundle: body');
    if (body.kind !== 'hashedrekord' || body.apiVersion !== '0.0.1') throw new SigningFormatError(`rekor bundle: entry kind ${String(body.kind)}/${String(body.apiVersion)} is not hashedrekord/0.0.1`);
    const digestHex = createHash('sha256').update(signed.payload).digest('hex');
    checkHashedRekordSpec(requireObject(body.spec, 'rekor bundle: body.spec'), { signature: signed.signature, digestHex, key: signed.publicKey }, 'rekor bundle');
    return result;
  } catch (error) {
    if (error instanceof SigningFormatError) return { ok: false, message: error.message };
    throw error;
  }
}
