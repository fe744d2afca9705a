import {
  buildSignatureManifest,
  COSE_MEDIA_TYPE,
  NOTARY_SIGNATURE_ARTIFACT_TYPE,
  parseSignatureManifest,
  signNotation,
  thumbprintsMatch,
  verifyNotationSignature,
  type TrustPolicyDocument,
  type TrustStore,
} from '@bulkhead/signing';
import type { KeyObject } from 'node:crypto';
import type { RegistryClient } from '@bulkhead/oci';
import type { SignatureCheck } from '../store/signature-records';
import type { ResolvedImage } from './resolve';

/** An envelope carries a chain of a few certificates: refuse larger blobs before reading them. */
export const MAX_ENVELOPE_BYTES = 1024 * 1024;
/** Signatures looked at per image: a hostile registry could list thousands. */
export const MAX_NOTATION_SIGNATURES = 100;

export interface NotationSignOptions {
  /** PEM private key (PKCS#8, PKCS#1, SEC1) or a KeyObject. */
  key: KeyObject | string | Buffer;
  /** PEM chain, signing certificate first. */
  certificateChain: string;
  envelopeType: 'jws' | 'cose';
}

export interface WrittenNotationSignature {
  format: 'notation-jws' | 'notation-cose';
  /** The signature manifest's digest (a referrer of the image). */
  location: string;
  signatureDigest: string;
  /** Subject of the signing certificate. */
  signer: string;
}

/**
 * Signs the image's manifest as `notation sign` does: a JWS or COSE envelope over the
 * `{targetArtifact}` payload, pushed as an OCI 1.1 signature manifest whose subject is the image
 * (a referrer; the registry client maintains the tag-schema fallback index).
 */
export async function signNotationImage(client: RegistryClient, image: ResolvedImage, options: NotationSignOptions): Promise<WrittenNotationSignature> {
  const signed = await signNotation({
    format: options.envelopeType,
    descriptor: { mediaType: image.mediaType, digest: image.digest, size: image.size },
    key: options.key,
    certificateChain: options.certificateChain,
  });
  const subject = { mediaType: image.mediaType, digest: image.digest, size: image.size };
  const manifest = buildSignatureManifest({ envelope: signed.envelope, mediaType: signed.mediaType, subject, certificateChain: signed.certificateChain });
  await client.pushBlob(image.ref, manifest.config.bytes, manifest.config.descriptor.digest, manifest.config.descriptor.size);
  await client.pushBlob(image.ref, manifest.layer.bytes, manifest.layer.descriptor.digest, manifest.layer.descriptor.size);
  const location = await client.putManifest(image.ref, manifest.descriptor.digest, manifest.manifest, manifest.descriptor.mediaType);
  return {
    format: signed.mediaType === COSE_MEDIA_TYPE ? 'notation-cose' : 'notation-jws',
    location,
    signatureDigest: manifest.layer.descriptor.digest,
    signer: signed.certificateChain[0]?.subjectText ?? '',
  };
}

/**
 * Every Notary Project signature of the image (its referrers of artifact type
 * application/vnd.cncf.notary.signature), verified as `notation verify` does under the trust
 * policy and trust store: the verdict and, when it fails, the first enforced check's message.
 */
export async function verifyNotationImage(client: RegistryClient, image: ResolvedImage, trustPolicy: TrustPolicyDocument, trustStore: TrustStore): Promise<SignatureCheck[]> {
  const descriptors = (await client.referrers(image.ref, image.digest, NOTARY_SIGNATURE_ARTIFACT_TYPE)).slice(0, MAX_NOTATION_SIGNATURES);
  const checks: SignatureCheck[] = [];
  for (const descriptor of descriptors) {
    const base = { imageDigest: image.digest, reference: image.pinned };
    let format: SignatureCheck['format'] = 'notation-jws';
    let signatureDigest = descriptor.digest;
    try {
      const manifest = parseSignatureManifest((await client.getManifest(image.ref, descriptor.digest)).bytes);
      format = manifest.envelope.mediaType === COSE_MEDIA_TYPE ? 'notation-cose' : 'notation-jws';
      signatureDigest = manifest.envelope.digest;
      if (manifest.subject.digest !== image.digest) throw new Error(`its subject is ${manifest.subject.digest}, not ${image.digest}`);
      if (manifest.envelope.size > MAX_ENVELOPE_BYTES) throw new Error(`envelope of ${manifest.envelope.size} bytes is larger than ${MAX_ENVELOPE_BYTES}`);
      const envelope = await client.readBlob(image.ref, manifest.envelope.digest, MAX_ENVELOPE_BYTES);
      const result = await verifyNotationSignature({
        envelope,
        mediaType: manifest.envelope.mediaType,
        artifactReference: image.pinned,
        expectedArtifact: { digest: image.digest, size: image.size, mediaType: image.mediaType },
        trustPolicy,
        trustStore,
      });
      const verifier = `trust-policy:${result.policy}`;
      const identity = result.certificateChain?.[0]?.subjectText ?? null;
      if (result.verified && result.certificateChain && !thumbprintsMatch(manifest, result.certificateChain)) {
        checks.push({ ...base, format, signatureDigest, verifier, identity, valid: false, reason: "the manifest's certificate thumbprints are not the envelope's chain (envelope swapped)" });
        continue;
      }
      const failure = result.failure ? `${result.failure.check}: ${result.failure.message}` : null;
      checks.push({ ...base, format, signatureDigest, verifier, identity, valid: result.verified, reason: result.verified ? null : (failure ?? 'not verified') });
    } catch (error) {
      checks.push({ ...base, format, signatureDigest, verifier: 'trust-policy', identity: null, valid: false, reason: (error as Error).message });
    }
  }
  return checks;
}
