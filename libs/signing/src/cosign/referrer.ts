import { SigningFormatError } from './errors';
import { ANNOTATIONS, blob, descriptorJson, MEDIA_TYPES, OciBlob, OciDescriptor, parseOciManifest, sortedAnnotations } from './oci';
import { BUNDLE_V03_MEDIA_TYPE } from './bundle';

/** A bundle is a few KiB; an attestation bundle may carry an SBOM. */
const LIMIT_BUNDLE_BYTES = 32 * 1024 * 1024;

/** The OCI 1.1 empty config blob `{}` (sha256:44136fa3...). */
export const EMPTY_CONFIG = blob(MEDIA_TYPES.ociEmpty, Buffer.from('{}'));

export interface BundleReferrerInput {
  /** The serialized bundle (the one layer). */
  bundle: Uint8Array;
  /** The image it is attached to. */
  subject: OciDescriptor;
  content: 'dsse-envelope' | 'message-signature';
  /** The in-toto predicate type, for DSSE bundles. */
  predicateType?: string;
  /** Creation time for org.opencontainers.image.created; now by default. */
  created?: Date;
}

export interface BundleReferrer {
  /** Push the config and the bundle blob first, then this manifest by its digest. */
  manifest: OciBlob;
  config: OciBlob;
  bundle: OciBlob;
}

/**
 * The referrer manifest cosign writes for a Sigstore bundle (cosign specs/BUNDLE_SPEC.md): an OCI
 * image manifest with artifactType = the bundle media type, the empty config, one layer (the
 * bundle, titled `sha256-<hex>.sigstore.json`), annotations dev.sigstore.bundle.content /
 * dev.sigstore.bundle.predicateType / org.opencontainers.image.created, and the image as subject.
 */
export function buildBundleReferrer(input: BundleReferrerInput): BundleReferrer {
  const bundle = blob(BUNDLE_V03_MEDIA_TYPE, input.bundle);
  bundle.descriptor.annotations = { 'org.opencontainers.image.title': `${bundle.descriptor.digest.replace(':', '-')}.sigstore.json` };
  const annotations: Record<string, string> = { [ANNOTATIONS.bundleContent]: input.content };
  if (input.predicateType !== undefined) annotations[ANNOTATIONS.bundlePredicateType] = input.predicateType;
  annotations[ANNOTATIONS.created] = (input.created ?? new Date()).toISOString();
  const subject: OciDescriptor = { mediaType: input.subject.mediaType, size: input.subject.size, digest: input.subject.digest };
  const manifest = {
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.ociManifest,
    artifactType: BUNDLE_V03_MEDIA_TYPE,
    config: descriptorJson(EMPTY_CONFIG.descriptor),
    layers: [descriptorJson(bundle.descriptor)],
    subject: descriptorJson(subject),
    annotations: sortedAnnotations(annotations),
  };
  const manifestBlob = blob(MEDIA_TYPES.ociManifest, Buffer.from(JSON.stringify(manifest)));
  // The descriptor a referrers index lists for this manifest carries the same artifactType and annotations.
  manifestBlob.descriptor.artifactType = BUNDLE_V03_MEDIA_TYPE;
  manifestBlob.descriptor.annotations = annotations;
  return { manifest: manifestBlob, config: EMPTY_CONFIG, bundle };
}

export interface ParsedBundleReferrer {
  /** Fetch this blob and check it with checkBlob, then parseBundle. */
  bundleLayer: OciDescriptor;
  subject?: OciDescriptor;
  content?: string;
  predicateType?: string;
  created?: string;
}

/** Reads a bundle referrer manifest; refuses manifests that are not one. */
export function parseBundleReferrer(manifestBytes: Uint8Array, what = 'bundle referrer manifest'): ParsedBundleReferrer {
  const manifest = parseOciManifest(manifestBytes, what);
  const isBundle = manifest.artifactType === BUNDLE_V03_MEDIA_TYPE || manifest.config.mediaType === BUNDLE_V03_MEDIA_TYPE;
  if (!isBundle) throw new SigningFormatError(`${what}: artifactType ${JSON.stringify(manifest.artifactType)} is not ${BUNDLE_V03_MEDIA_TYPE}`);
  const layer = manifest.layers.find((l) => l.mediaType === BUNDLE_V03_MEDIA_TYPE);
  if (!layer) throw new SigningFormatError(`${what}: no layer of media type ${BUNDLE_V03_MEDIA_TYPE}`);
  if (layer.size > LIMIT_BUNDLE_BYTES) throw new SigningFormatError(`${what}: bundle layer of ${layer.size} bytes is larger than ${LIMIT_BUNDLE_BYTES}`);
  return {
    bundleLayer: layer,
    subject: manifest.subject,
    content: manifest.annotations[ANNOTATIONS.bundleContent],
    predicateType: manifest.annotations[ANNOTATIONS.bundlePredicateType],
    created: manifest.annotations[ANNOTATIONS.created],
  };
}

/** True for a descriptor in a referrers index that names a Sigstore bundle. */
export function isBundleReferrer(descriptor: OciDescriptor): boolean {
  return descriptor.artifactType === BUNDLE_V03_MEDIA_TYPE;
}
