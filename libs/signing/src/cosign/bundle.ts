import { createHash, KeyObject, X509Certificate } from 'node:crypto';
import { decodeBase64, isRecord, LIMITS, parseJson } from './bounded';
import { DsseEnvelope, parseDsseEnvelope, signDsse, verifyDsse } from './dsse';
import { SigningFormatError } from './errors';
import { checkStatement, IN_TOTO_PAYLOAD_TYPE, InTotoStatement, parseStatement } from './in-toto';
import { certificateFromDer, publicKeyHint, signatureShapeProblem, signBytes, verifyBytes } from './keys';
import { checkTlogBodies } from './tlog';

/**
 * Sigstore bundles (protobuf-specs `dev.sigstore.bundle.v1.Bundle`, JSON form as protojson writes
 * it: camelCase fields in field-number order, bytes as standard base64, empty fields left out).
 * We write v0.3 key-based bundles (verificationMaterial.publicKey.hint, no transparency log entry,
 * as `cosign sign --key ... --tlog-upload=false --new-bundle-format` does) and read v0.1–v0.3.
 */
export const BUNDLE_V03_MEDIA_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json';
const ACCEPTED_MEDIA_TYPES = [
  BUNDLE_V03_MEDIA_TYPE,
  'application/vnd.dev.sigstore.bundle+json;version=0.3',
  'application/vnd.dev.sigstore.bundle+json;version=0.2',
  'application/vnd.dev.sigstore.bundle+json;version=0.1',
];

export interface MessageSignature {
  messageDigest: { algorithm: string; digest: string };
  signature: string;
}

export interface SigstoreBundle {
  mediaType: string;
  verificationMaterial: {
    publicKey?: { hint: string };
    certificate?: { rawBytes: string };
    x509CertificateChain?: { certificates: Array<{ rawBytes: string }> };
    tlogEntries?: unknown[];
    timestampVerificationData?: unknown;
  };
  messageSignature?: MessageSignature;
  dsseEnvelope?: DsseEnvelope;
}

/** A bundle with a DSSE envelope signed by `privateKey` (in-toto statements, cosign v3 image signatures). */
export function buildDsseBundle(privateKey: KeyObject, payload: Uint8Array, payloadType: string = IN_TOTO_PAYLOAD_TYPE): SigstoreBundle {
  return dsseBundleOf(privateKey, signDsse(privateKey, payloadType, payload));
}

/**
 * The key-based bundle around an envelope already signed by `key` (a private key, or the public
 * key of a signer that signs elsewhere, e.g. a key provider or KMS).
 */
export function dsseBundleOf(key: KeyObject, envelope: DsseEnvelope): SigstoreBundle {
  return {
    mediaType: BUNDLE_V03_MEDIA_TYPE,
    verificationMaterial: { publicKey: { hint: publicKeyHint(key) }, tlogEntries: [] },
    // protojson field order (payload, payloadType, signatures) and no empty keyid.
    dsseEnvelope: {
      payload: envelope.payload,
      payloadType: envelope.payloadType,
      signatures: envelope.signatures.map((s) => (s.keyid ? { sig: s.sig, keyid: s.keyid } : { sig: s.sig })),
    },
  };
}

/** A bundle with a message signature over `artifact` (what `cosign sign-blob --new-bundle-format` writes). */
export function buildMessageSignatureBundle(privateKey: KeyObject, artifact: Uint8Array): SigstoreBundle {
  return messageSignatureBundleOf(privateKey, artifact, signBytes(privateKey, artifact));
}

/** The key-based bundle around a message signature over `artifact` already made by `key`. */
export function messageSignatureBundleOf(key: KeyObject, artifact: Uint8Array, signature: Uint8Array): SigstoreBundle {
  return {
    mediaType: BUNDLE_V03_MEDIA_TYPE,
    verificationMaterial: { publicKey: { hint: publicKeyHint(key) }, tlogEntries: [] },
    messageSignature: {
      messageDigest: { algorithm: 'SHA2_256', digest: createHash('sha256').update(artifact).digest('base64') },
      signature: Buffer.from(signature).toString('base64'),
    },
  };
}

export function serializeBundle(bundle: SigstoreBundle): Buffer {
  return Buffer.from(JSON.stringify(bundle));
}

/** Parses a bundle (bounded), checking the fields this library relies on. */
export function parseBundle(bytes: Uint8Array, what = 'Sigstore bundle'): SigstoreBundle {
  const doc = parseJson(bytes, what, LIMITS.payloadBytes * 2);
  if (!isRecord(doc)) throw new SigningFormatError(`${what}: expected a JSON object`);
  if (typeof doc.mediaType !== 'string' || !ACCEPTED_MEDIA_TYPES.includes(doc.mediaType)) {
    throw new SigningFormatError(`${what}: mediaType ${JSON.stringify(doc.mediaType)} is not a Sigstore bundle v0.1–v0.3`);
  }
  if (!isRecord(doc.verificationMaterial)) throw new SigningFormatError(`${what}: verificationMaterial is missing`);
  const vm = doc.verificationMaterial;
  const material: SigstoreBundle['verificationMaterial'] = {};
  if (isRecord(vm.publicKey)) {
    if (typeof vm.publicKey.hint !== 'string') throw new SigningFormatError(`${what}: verificationMaterial.publicKey.hint must be a string`);
    material.publicKey = { hint: vm.publicKey.hint };
  }
  if (isRecord(vm.certificate)) {
    if (typeof vm.certificate.rawBytes !== 'string') throw new SigningFormatError(`${what}: verificationMaterial.certificate.rawBytes must be a string`);
    material.certificate = { rawBytes: vm.certificate.rawBytes };
  }
  if (isRecord(vm.x509CertificateChain)) {
    const certs = vm.x509CertificateChain.certificates;
    if (!Array.isArray(certs) || certs.length === 0 || certs.length > 10 || !certs.every((c) => isRecord(c) && typeof c.rawBytes === 'string')) {
      throw new SigningFormatError(`${what}: verificationMaterial.x509CertificateChain.certificates must hold 1 to 10 {rawBytes}`);
    }
    material.x509CertificateChain = { certificates: certs.map((c) => ({ rawBytes: (c as { rawBytes: string }).rawBytes })) };
  }
  const kinds = [material.publicKey, material.certificate, material.x509CertificateChain].filter((k) => k !== undefined).length;
  if (kinds !== 1) throw new SigningFormatError(`${what}: verificationMaterial must hold exactly one of publicKey, certificate, x509CertificateChain`);
  if (vm.tlogEntries !== undefined) {
    if (!Array.isArray(vm.tlogEntries)) throw new SigningFormatError(`${what}: verificationMaterial.tlogEntries must be an array`);
    material.tlogEntries = vm.tlogEntries;
  }
  if (vm.timestampVerificationData !== undefined) material.timestampVerificationData = vm.timestampVerificationData;

  const bundle: SigstoreBundle = { mediaType: doc.mediaType, verificationMaterial: material };
  if (doc.messageSignature !== undefined && doc.dsseEnvelope !== undefined) throw new SigningFormatError(`${what}: holds both messageSignature and dsseEnvelope`);
  if (doc.dsseEnvelope !== undefined) bundle.dsseEnvelope = parseDsseEnvelope(doc.dsseEnvelope, `${what}: dsseEnvelope`);
  else if (isRecord(doc.messageSignature)) {
    const ms = doc.messageSignature;
    if (typeof ms.signature !== 'string') throw new SigningFormatError(`${what}: messageSignature.signature must be a string`);
    if (!isRecord(ms.messageDigest) || typeof ms.messageDigest.algorithm !== 'string' || typeof ms.messageDigest.digest !== 'string') {
      throw new SigningFormatError(`${what}: messageSignature.messageDigest must hold algorithm and digest`);
    }
    bundle.messageSignature = { messageDigest: { algorithm: ms.messageDigest.algorithm, digest: ms.messageDigest.digest }, signature: ms.signature };
  } else throw new SigningFormatError(`${what}: holds neither messageSignature nor dsseEnvelope`);
  return bundle;
}

/** The signing certificate of a keyless bundle (leaf first), or undefined for a key-based one. */
export function bundleCertificates(bundle: SigstoreBundle): X509Certificate[] | undefined {
  const vm = bundle.verificationMaterial;
  const raw = vm.certificate ? [vm.certificate.rawBytes] : vm.x509CertificateChain?.certificates.map((c) => c.rawBytes);
  return raw?.map((b64, i) => certificateFromDer(decodeBase64(b64, `bundle certificate ${i + 1}`, 64 * 1024), `bundle certificate ${i + 1}`));
}

export type BundleFailureReason = 'malformed-bundle' | 'bad-signature' | 'wrong-key' | 'digest-mismatch' | 'tlog-mismatch' | 'subject-mismatch' | 'predicate-type-mismatch';

export type BundleVerification =
  | { ok: true; statement?: InTotoStatement; payload?: Buffer }
  | { ok: false; reason: BundleFailureReason; message: string };

const DIGEST_ALGORITHMS: Record<string, string> = { SHA2_256: 'sha256', SHA2_384: 'sha384', SHA2_512: 'sha512' };

/**
 * Verifies the signature of a bundle with `publicKey` (a key for key-based bundles, or the
 * certificate's key for keyless ones: the certificate chain, SCTs and transparency log are not
 * checked here; that needs a trusted root). For a message signature, `artifact` is the signed
 * bytes and must match messageDigest. Transparency log entries, when present, must describe this
 * signature, digest and key (checkTlogBodies), or the reason is tlog-mismatch.
 */
export function verifyBundleSignature(bundle: SigstoreBundle, publicKey: KeyObject, artifact?: Uint8Array): BundleVerification {
  const result = verifyBundleSignatureOnly(bundle, publicKey, artifact);
  if (!result.ok) return result;
  // A transparency log entry, when present, must be about this signature and this key.
  const tlog = checkTlogBodies(bundle, publicKey);
  if (!tlog.ok) return { ok: false, reason: 'tlog-mismatch', message: tlog.message };
  return result;
}

function verifyBundleSignatureOnly(bundle: SigstoreBundle, publicKey: KeyObject, artifact?: Uint8Array): BundleVerification {
  if (bundle.dsseEnvelope) {
    const result = verifyDsse(bundle.dsseEnvelope, publicKey);
    if (!result.ok) return { ok: false, reason: result.reason === 'malformed-envelope' ? 'malformed-bundle' : result.reason, message: result.message };
    return { ok: true, payload: result.payload };
  }
  const ms = bundle.messageSignature;
  if (!ms) return { ok: false, reason: 'malformed-bundle', message: 'bundle holds no signature' };
  if (artifact === undefined) return { ok: false, reason: 'malformed-bundle', message: 'a message-signature bundle needs the signed artifact to verify' };
  const algorithm = DIGEST_ALGORITHMS[ms.messageDigest.algorithm];
  if (!algorithm) return { ok: false, reason: 'malformed-bundle', message: `messageDigest.algorithm ${ms.messageDigest.algorithm} is not supported` };
  let digest: Buffer;
  let signature: Buffer;
  try {
    digest = decodeBase64(ms.messageDigest.digest, 'messageDigest.digest', 64);
  } catch (error) {
    return { ok: false, reason: 'malformed-bundle', message: (error as Error).message };
  }
  try {
    signature = decodeBase64(ms.signature, 'messageSignature.signature', LIMITS.signatureBytes);
    const problem = signatureShapeProblem(publicKey, signature);
    if (problem) throw new SigningFormatError(`messageSignature.signature: ${problem}`);
  } catch (error) {
    return { ok: false, reason: 'bad-signature', message: (error as Error).message };
  }
  if (!createHash(algorithm).update(artifact).digest().equals(digest)) {
    return { ok: false, reason: 'digest-mismatch', message: 'the artifact does not match the bundle’s messageDigest' };
  }
  if (!verifyBytes(publicKey, artifact, signature)) {
    return { ok: false, reason: 'wrong-key', message: 'signature does not verify with the given key (made by another key, or the artifact was altered)' };
  }
  return { ok: true };
}

/**
 * Verifies a bundle attached to an image, as cosign v3 `verify` / `verify-attestation` does with a
 * key: the signature, then (DSSE) the in-toto statement's subject against the image digest and its
 * predicate type (https://sigstore.dev/cosign/sign/v1 for signatures), or (message signature)
 * the signed manifest bytes against the image digest.
 */
export function verifyImageBundle(
  bundle: SigstoreBundle,
  publicKey: KeyObject,
  imageDigest: string,
  options: { predicateType?: string; manifest?: Uint8Array } = {},
): BundleVerification {
  if (bundle.messageSignature) {
    if (options.manifest === undefined) return { ok: false, reason: 'malformed-bundle', message: 'a message-signature bundle over an image needs the manifest bytes' };
    const manifestDigest = `sha256:${createHash('sha256').update(options.manifest).digest('hex')}`;
    if (manifestDigest !== imageDigest) return { ok: false, reason: 'digest-mismatch', message: `the manifest given has digest ${manifestDigest}, not ${imageDigest}` };
    return verifyBundleSignature(bundle, publicKey, options.manifest);
  }
  const verified = verifyBundleSignature(bundle, publicKey);
  if (!verified.ok) return verified;
  if (bundle.dsseEnvelope?.payloadType !== IN_TOTO_PAYLOAD_TYPE) {
    return { ok: false, reason: 'malformed-bundle', message: `DSSE payloadType is ${bundle.dsseEnvelope?.payloadType}, expected ${IN_TOTO_PAYLOAD_TYPE}` };
  }
  let statement: InTotoStatement;
  try {
    statement = parseStatement(verified.payload as Buffer);
  } catch (error) {
    return { ok: false, reason: 'malformed-bundle', message: (error as Error).message };
  }
  const check = checkStatement(statement, imageDigest, options.predicateType);
  if (!check.ok) return check;
  return { ok: true, statement, payload: verified.payload };
}
