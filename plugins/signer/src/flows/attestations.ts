import {
  buildAttestationLayer,
  buildSignatureImage,
  buildStatement,
  cosignTag,
  cycloneDxStatement,
  imageSubject,
  parseSignatureImage,
  PREDICATE_TYPES,
  SigningFormatError,
  verifyAttestation,
  verifyImageBundle,
  signStatementWith,
  type InTotoStatement,
} from '@bulkhead/signing';
import type { RegistryClient } from '@bulkhead/oci';
import type { AttestationCheck } from '../store/signature-records';
import { findBundles, pushStatementBundle, type FoundBundle } from './cosign-bundle';
import type { ImageSigner } from './image-signer';
import { manifestIfPresent, type ResolvedImage } from './resolve';
import { checkEachVerifier, type Verifier, type VerifierOutcome } from './verifiers';

/** An attestation envelope may carry an SBOM: larger than a signature payload, still bounded. */
export const MAX_ATTESTATION_BYTES = 32 * 1024 * 1024;
/** Attestations (layers) checked per `.att` image: each costs a fetch. */
export const MAX_LEGACY_ATTESTATIONS = 100;

/**
 * cosign's `--type` names for predicate types (cosign's options/predicate.go); anything else
 * must be a URI and is used as the predicate type itself.
 */
export const PREDICATE_TYPE_NAMES: Readonly<Record<string, string>> = {
  cyclonedx: PREDICATE_TYPES.cyclonedx,
  spdxjson: PREDICATE_TYPES.spdx,
  vuln: PREDICATE_TYPES.cosignVuln,
  slsaprovenance: PREDICATE_TYPES.slsaProvenanceV02,
  slsaprovenance02: PREDICATE_TYPES.slsaProvenanceV02,
  slsaprovenance1: PREDICATE_TYPES.slsaProvenanceV1,
  custom: PREDICATE_TYPES.cosignCustom,
};

/** The predicate type for a `--type` value: a cosign name or a URI. */
export function predicateTypeOf(type: string): string {
  const named = PREDICATE_TYPE_NAMES[type];
  if (named) return named;
  let url: URL;
  try {
    url = new URL(type);
  } catch {
    throw new SigningFormatError(`--type ${JSON.stringify(type)}: expected one of ${Object.keys(PREDICATE_TYPE_NAMES).join(', ')} or a predicate type URI`);
  }
  if (!['https:', 'http:'].includes(url.protocol) || type.length > 512) throw new SigningFormatError(`--type ${JSON.stringify(type.slice(0, 80))}: a predicate type URI is http(s) and at most 512 characters`);
  return type;
}

/**
 * The in-toto statement over the image for a predicate document, as `cosign attest` builds it:
 * the predicate file is the predicate (cosign's `custom` type wraps it as {Data, Timestamp}); a
 * CycloneDX predicate must be a CycloneDX document.
 */
export function attestationStatement(image: ResolvedImage, predicateType: string, predicate: unknown, now = new Date()): InTotoStatement {
  if (predicateType === PREDICATE_TYPES.cyclonedx) return cycloneDxStatement(image.digest, image.repositoryName, predicate);
  if (predicateType === PREDICATE_TYPES.cosignCustom) {
    const data = typeof predicate === 'string' ? predicate : JSON.stringify(predicate);
    return buildStatement([imageSubject(image.digest, image.repositoryName)], predicateType, { Data: data, Timestamp: now.toISOString().replace(/\.\d{3}Z$/, 'Z') });
  }
  if (predicateType === PREDICATE_TYPES.cosignVuln && (typeof predicate !== 'object' || predicate === null || typeof (predicate as Record<string, unknown>)['scanner'] !== 'object')) {
    throw new SigningFormatError('vuln predicate: expected cosign\'s vulnerability predicate (an object with "scanner": {uri, version, result})');
  }
  return buildStatement([imageSubject(image.digest, image.repositoryName)], predicateType, predicate);
}

export interface WrittenAttestation {
  format: 'cosign-legacy' | 'cosign-bundle';
  location: string;
  attestationDigest: string;
  predicateType: string;
}

/** Attaches a signed statement in cosign's forms: a layer of the `.att` image and/or a bundle referrer. */
export async function attestImage(client: RegistryClient, image: ResolvedImage, signer: ImageSigner, statement: InTotoStatement, format: 'both' | 'legacy' | 'bundle' = 'both'): Promise<WrittenAttestation[]> {
  const written: WrittenAttestation[] = [];
  if (format !== 'bundle') {
    const envelope = await signStatementWith(signer, statement);
    const layer = buildAttestationLayer(envelope, statement.predicateType);
    const tag = cosignTag(image.digest, 'att');
    const existing = await manifestIfPresent(client, image, tag);
    const attestations = buildSignatureImage([layer.descriptor], existing?.bytes);
    await client.pushBlob(image.ref, layer.bytes, layer.descriptor.digest, layer.descriptor.size);
    await client.pushBlob(image.ref, attestations.config.bytes, attestations.config.descriptor.digest, attestations.config.descriptor.size);
    await client.putManifest(image.ref, tag, attestations.manifest.bytes, attestations.manifest.descriptor.mediaType);
    written.push({ format: 'cosign-legacy', location: tag, attestationDigest: layer.descriptor.digest, predicateType: statement.predicateType });
  }
  if (format !== 'legacy') {
    const pushed = await pushStatementBundle(client, image, signer, statement);
    written.push({ format: 'cosign-bundle', location: pushed.referrerDigest, attestationDigest: pushed.bundleDigest, predicateType: statement.predicateType });
  }
  return written;
}

/** One attestation against every verifier (first acceptance wins; else a record per verifier). */
function checkAttestation(
  image: ResolvedImage,
  format: AttestationCheck['format'],
  attestationDigest: string,
  predicateType: string | null,
  verifiers: readonly Verifier[],
  check: (verifier: Verifier) => VerifierOutcome,
): AttestationCheck[] {
  return checkEachVerifier({ imageDigest: image.digest, reference: image.pinned, format, attestationDigest, predicateType }, verifiers, check);
}

/**
 * Every attestation of the image (legacy `.att` layers and attestation bundle referrers),
 * verified as `cosign verify-attestation` does: the DSSE signature, the statement's subject
 * against the image digest and, when `predicateType` is given, its predicate type.
 */
export async function verifyAttestations(
  client: RegistryClient,
  image: ResolvedImage,
  verifiers: readonly Verifier[],
  predicateType?: string,
  found?: FoundBundle[],
): Promise<AttestationCheck[]> {
  const checks: AttestationCheck[] = [];
  const tag = cosignTag(image.digest, 'att');
  const attestationManifest = await manifestIfPresent(client, image, tag);
  if (attestationManifest) {
    try {
      const entries = parseSignatureImage(attestationManifest.bytes, `attestation manifest ${tag}`);
      if (entries.length > MAX_LEGACY_ATTESTATIONS) {
        checks.push({ imageDigest: image.digest, reference: image.pinned, format: 'cosign-legacy', attestationDigest: attestationManifest.digest, predicateType: null, verifier: 'none', identity: null, valid: false, reason: `attestation manifest ${tag} lists ${entries.length} attestations: only the first ${MAX_LEGACY_ATTESTATIONS} are checked` });
      }
      for (const entry of entries.slice(0, MAX_LEGACY_ATTESTATIONS)) {
        const declared = entry.predicateType ?? null;
        try {
          if (entry.layer.size > MAX_ATTESTATION_BYTES) throw new Error(`attestation of ${entry.layer.size} bytes is larger than ${MAX_ATTESTATION_BYTES}`);
          const envelope = await client.readBlob(image.ref, entry.layer.digest, MAX_ATTESTATION_BYTES);
          checks.push(
            ...checkAttestation(image, 'cosign-legacy', entry.layer.digest, declared, verifiers, (verifier) => {
              const result = verifyAttestation(envelope, verifier.publicKey, image.digest, predicateType);
              return result.ok ? { ok: true } : { ok: false, reason: `${result.reason}: ${result.message}` };
            }),
          );
        } catch (error) {
          checks.push({ imageDigest: image.digest, reference: image.pinned, format: 'cosign-legacy', attestationDigest: entry.layer.digest, predicateType: declared, verifier: 'none', identity: null, valid: false, reason: (error as Error).message });
        }
      }
    } catch (error) {
      checks.push({ imageDigest: image.digest, reference: image.pinned, format: 'cosign-legacy', attestationDigest: tag, predicateType: null, verifier: 'none', identity: null, valid: false, reason: (error as Error).message });
    }
  }
  for (const item of found ?? (await findBundles(client, image))) {
    const declared = item.referrer?.predicateType ?? item.descriptor.annotations?.['dev.sigstore.bundle.predicateType'] ?? null;
    // Signature bundles (cosign's sign/v1 statement, message signatures) are not attestations.
    if (declared === PREDICATE_TYPES.cosignSign || item.referrer?.content === 'message-signature') continue;
    const digest = item.referrer?.bundleLayer.digest ?? item.descriptor.digest;
    if (!item.bundle) {
      checks.push({ imageDigest: image.digest, reference: image.pinned, format: 'cosign-bundle', attestationDigest: digest, predicateType: declared, verifier: 'none', identity: null, valid: false, reason: item.unreadable ?? 'unreadable' });
      continue;
    }
    const bundle = item.bundle;
    checks.push(
      ...checkAttestation(image, 'cosign-bundle', digest, declared, verifiers, (verifier) => {
        const result = verifyImageBundle(bundle, verifier.publicKey, image.digest, predicateType ? { predicateType } : {});
        return result.ok ? { ok: true } : { ok: false, reason: `${result.reason}: ${result.message}` };
      }),
    );
  }
  return checks;
}
