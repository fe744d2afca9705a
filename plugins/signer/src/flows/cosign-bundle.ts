import {
  BUNDLE_V03_MEDIA_TYPE,
  buildBundleReferrer,
  cosignSignStatement,
  IN_TOTO_PAYLOAD_TYPE,
  parseBundle,
  parseBundleReferrer,
  PREDICATE_TYPES,
  serializeBundle,
  statementBytes,
  verifyImageBundle,
  type InTotoStatement,
  type ParsedBundleReferrer,
  type SigstoreBundle,
} from '@bulkhead/signing';
import type { Descriptor, RegistryClient } from '@bulkhead/oci';
import type { SignatureCheck } from '../store/signature-records';
import type { WrittenSignature } from './cosign-legacy';
import { dsseBundleOf, signDsseWith } from './dsse-signing';
import type { ImageSigner } from './image-signer';
import type { ResolvedImage } from './resolve';
import { checkWithVerifiers, type Verifier } from './verifiers';

/** A bundle is a few KiB (an attestation bundle may carry an SBOM): refuse larger blobs before reading. */
export const MAX_BUNDLE_BYTES = 32 * 1024 * 1024;
/** Referrers looked at per image: a hostile registry could list thousands. */
export const MAX_REFERRERS = 100;

/**
 * Pushes a signed statement as cosign v3 does with --new-bundle-format: a Sigstore bundle v0.3
 * (DSSE envelope over the in-toto statement) in a referrer manifest whose subject is the image.
 */
export async function pushStatementBundle(client: RegistryClient, image: ResolvedImage, signer: ImageSigner, statement: InTotoStatement): Promise<{ referrerDigest: string; bundleDigest: string }> {
  const envelope = await signDsseWith(signer, IN_TOTO_PAYLOAD_TYPE, statementBytes(statement));
  const bundle = serializeBundle(dsseBundleOf(signer, envelope));
  const referrer = buildBundleReferrer({
    bundle,
    subject: { mediaType: image.mediaType, size: image.size, digest: image.digest },
    content: 'dsse-envelope',
    predicateType: statement.predicateType,
  });
  await client.pushBlob(image.ref, referrer.config.bytes, referrer.config.descriptor.digest, referrer.config.descriptor.size);
  await client.pushBlob(image.ref, referrer.bundle.bytes, referrer.bundle.descriptor.digest, referrer.bundle.descriptor.size);
  const referrerDigest = await client.putManifest(image.ref, referrer.manifest.descriptor.digest, referrer.manifest.bytes, referrer.manifest.descriptor.mediaType);
  return { referrerDigest, bundleDigest: referrer.bundle.descriptor.digest };
}

/** The image signature as a bundle referrer: the https://sigstore.dev/cosign/sign/v1 statement over the digest. */
export async function signBundle(client: RegistryClient, image: ResolvedImage, signer: ImageSigner, annotations?: Record<string, string>): Promise<WrittenSignature> {
  const pushed = await pushStatementBundle(client, image, signer, cosignSignStatement(image.digest, annotations ?? {}));
  return { format: 'cosign-bundle', location: pushed.referrerDigest, signatureDigest: pushed.bundleDigest };
}

export interface FoundBundle {
  descriptor: Descriptor;
  referrer?: ParsedBundleReferrer;
  bundle?: SigstoreBundle;
  /** Why it could not be read (then neither referrer nor bundle is set). */
  unreadable?: string;
}

/** The image's bundle referrers, read and parsed (each failure kept as a reason, not thrown). */
export async function findBundles(client: RegistryClient, image: ResolvedImage): Promise<FoundBundle[]> {
  const descriptors = (await client.referrers(image.ref, image.digest, BUNDLE_V03_MEDIA_TYPE)).slice(0, MAX_REFERRERS);
  const found: FoundBundle[] = [];
  for (const descriptor of descriptors) {
    try {
      const manifest = await client.getManifest(image.ref, descriptor.digest);
      const referrer = parseBundleReferrer(manifest.bytes, `bundle referrer ${descriptor.digest}`);
      if (referrer.subject && referrer.subject.digest !== image.digest) throw new Error(`its subject is ${referrer.subject.digest}, not ${image.digest}`);
      if (referrer.bundleLayer.size > MAX_BUNDLE_BYTES) throw new Error(`bundle of ${referrer.bundleLayer.size} bytes is larger than ${MAX_BUNDLE_BYTES}`);
      const bytes = await client.readBlob(image.ref, referrer.bundleLayer.digest, MAX_BUNDLE_BYTES);
      found.push({ descriptor, referrer, bundle: parseBundle(bytes, `bundle ${referrer.bundleLayer.digest}`) });
    } catch (error) {
      found.push({ descriptor, unreadable: `bundle referrer ${descriptor.digest}: ${(error as Error).message}` });
    }
  }
  return found;
}

/** A bundle that signs the image (not an attestation of something else about it). */
function isSignatureBundle(found: FoundBundle): boolean {
  const type = found.referrer?.predicateType ?? found.descriptor.annotations?.['dev.sigstore.bundle.predicateType'];
  const content = found.referrer?.content ?? found.descriptor.annotations?.['dev.sigstore.bundle.content'];
  return content === 'message-signature' || type === PREDICATE_TYPES.cosignSign || (found.unreadable !== undefined && type === undefined);
}

/**
 * Every signature bundle among the image's referrers, checked with the verifiers as cosign v3
 * verifies them: the DSSE signature, then the statement's subject against the image digest and
 * its predicate type (or, for a message signature, the manifest bytes' digest and signature).
 */
export async function verifyBundles(client: RegistryClient, image: ResolvedImage, verifiers: readonly Verifier[], found?: FoundBundle[]): Promise<SignatureCheck[]> {
  const bundles = (found ?? (await findBundles(client, image))).filter(isSignatureBundle);
  const checks: SignatureCheck[] = [];
  for (const item of bundles) {
    const signatureDigest = item.referrer?.bundleLayer.digest ?? item.descriptor.digest;
    if (!item.bundle) {
      checks.push({ imageDigest: image.digest, reference: image.pinned, format: 'cosign-bundle', signatureDigest, verifier: 'none', identity: null, valid: false, reason: item.unreadable ?? 'unreadable' });
      continue;
    }
    const bundle = item.bundle;
    checks.push(
      ...checkWithVerifiers(image, 'cosign-bundle', signatureDigest, verifiers, (verifier) => {
        const result = verifyImageBundle(bundle, verifier.publicKey, image.digest, bundle.messageSignature ? { manifest: image.bytes } : { predicateType: PREDICATE_TYPES.cosignSign });
        return result.ok ? { ok: true } : { ok: false, reason: `${result.reason}: ${result.message}` };
      }),
    );
  }
  return checks;
}
