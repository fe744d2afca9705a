import { createHash, KeyObject } from 'node:crypto';
import { decodeBase64, isRecord, parseJson } from './bounded';
import type { SigstoreBundle } from './bundle';
import { SigningFormatError } from './errors';
import { certificateFromDer, samePublicKey } from './keys';
import { parsePem } from './pem';
import { createPublicKey } from 'node:crypto';

/**
 * Offline consistency of a bundle's transparency log entries: the entry body Rekor logged
 * (canonicalizedBody) must describe this very signature, with this digest and this key. A bundle
 * whose log entry was made for something else (another key, another signature) is refused even
 * when its own signature verifies. Inclusion in the log itself (SET, Merkle proof) needs the log's
 * key from a trusted root and is not checked here.
 *
 * Kinds checked: hashedrekord 0.0.1 (message signatures) and dsse 0.0.1 (DSSE envelopes). Other
 * kinds are reported as not checked.
 */
export type TlogCheck = { ok: true; checked: number; unchecked: string[] } | { ok: false; message: string };

export function checkTlogBodies(bundle: SigstoreBundle, verificationKey: KeyObject): TlogCheck {
  const entries = bundle.verificationMaterial.tlogEntries ?? [];
  if (entries.length > 32) return { ok: false, message: `more than 32 transparency log entries` };
  let checked = 0;
  const unchecked: string[] = [];
  for (const [i, entry] of entries.entries()) {
    const what = `tlogEntries[${i}]`;
    try {
      if (!isRecord(entry) || !isRecord(entry.kindVersion)) throw new SigningFormatError(`${what}: kindVersion is missing`);
      const { kind, version } = entry.kindVersion;
      const body = parseJson(decodeBase64(entry.canonicalizedBody, `${what}: canonicalizedBody`, 1024 * 1024), `${what}: canonicalizedBody`);
      if (!isRecord(body) || body.kind !== kind || body.apiVersion !== version) throw new SigningFormatError(`${what}: body kind/apiVersion differ from kindVersion ${kind}/${version}`);
      const spec = isRecord(body.spec) ? body.spec : {};
      if (kind === 'hashedrekord' && version === '0.0.1') {
        checkHashedRekord(spec, bundle, verificationKey, what);
        checked++;
      } else if (kind === 'dsse' && version === '0.0.1') {
        checkDsse(spec, bundle, verificationKey, what);
        checked++;
      } else unchecked.push(`${kind}/${version}`);
    } catch (error) {
      return { ok: false, message: (error as Error).message };
    }
  }
  return { ok: true, checked, unchecked };
}

function checkHashedRekord(spec: Record<string, unknown>, bundle: SigstoreBundle, key: KeyObject, what: string): void {
  const ms = bundle.messageSignature;
  if (!ms) throw new SigningFormatError(`${what}: a hashedrekord entry for a bundle without a message signature`);
  const digestHex = decodeBase64(ms.messageDigest.digest, `${what}: messageDigest`, 64).toString('hex');
  checkHashedRekordSpec(spec, { signature: ms.signature, digestHex, key }, what);
}

/**
 * A hashedrekord 0.0.1 body's spec must log this signature (base64), this SHA-256 digest (hex) of
 * the signed bytes, and this key (or a certificate of it). Throws a SigningFormatError naming the
 * first difference.
 */
export function checkHashedRekordSpec(spec: Record<string, unknown>, expected: { signature: string; digestHex: string; key: KeyObject }, what: string): void {
  const signature = isRecord(spec.signature) ? spec.signature : {};
  if (!sameBase64(signature.content, expected.signature)) throw new SigningFormatError(`${what}: the logged signature is not this signature`);
  const hash = isRecord(spec.data) && isRecord(spec.data.hash) ? spec.data.hash : {};
  const logged = typeof hash.value === 'string' ? hash.value.toLowerCase() : '';
  if (logged !== expected.digestHex) throw new SigningFormatError(`${what}: the logged digest is not the signed content's digest`);
  checkLoggedKey(isRecord(signature.publicKey) ? signature.publicKey.content : undefined, expected.key, what);
}

function checkDsse(spec: Record<string, unknown>, bundle: SigstoreBundle, key: KeyObject, what: string): void {
  const envelope = bundle.dsseEnvelope;
  if (!envelope) throw new SigningFormatError(`${what}: a dsse entry for a bundle without a DSSE envelope`);
  const signatures = Array.isArray(spec.signatures) ? spec.signatures : [];
  if (signatures.length !== 1 || envelope.signatures.length !== 1) throw new SigningFormatError(`${what}: signature count differs from the envelope's`);
  const [logged] = signatures;
  if (!isRecord(logged) || !sameBase64(logged.signature, envelope.signatures[0].sig)) throw new SigningFormatError(`${what}: the logged signature is not the envelope's signature`);
  const payloadHash = isRecord(spec.payloadHash) ? spec.payloadHash : {};
  const payload = decodeBase64(envelope.payload, `${what}: payload`, 64 * 1024 * 1024, { urlSafe: true });
  if (payloadHash.value !== createHash('sha256').update(payload).digest('hex')) throw new SigningFormatError(`${what}: the logged payload hash is not the envelope payload's`);
  checkLoggedKey(logged.verifier, key, what);
}

/** The key or certificate Rekor logged (base64 of PEM) must hold the key the signature verified with. */
function checkLoggedKey(content: unknown, key: KeyObject, what: string): void {
  const pem = decodeBase64(content, `${what}: logged public key`, 64 * 1024);
  const [block] = parsePem(pem, `${what}: logged public key`);
  const logged = block.type === 'CERTIFICATE' ? certificateFromDer(block.der, `${what}: logged certificate`).publicKey : createPublicKey({ key: block.der, format: 'der', type: 'spki' });
  if (!samePublicKey(logged, key)) throw new SigningFormatError(`${what}: the logged public key is not the key that verified the signature`);
}

function sameBase64(a: unknown, b: string): boolean {
  return typeof a === 'string' && Buffer.from(a, 'base64').equals(Buffer.from(b, 'base64'));
}
