import { SigningFormatError } from './errors';
import { ANNOTATIONS, blob, descriptorJson, MEDIA_TYPES, OciBlob, OciDescriptor, parseOciManifest } from './oci';

/**
 * cosign's legacy "signatures image": the manifest at the `sha256-<hex>.sig` tag (signatures) or
 * `sha256-<hex>.att` tag (attestations). Each layer is one signature: its blob is the signed
 * payload (simple-signing JSON, or a DSSE envelope for attestations) and its annotations carry the
 * signature and, for keyless, the certificate and chain. cosign builds it with
 * go-containerregistry from an empty image, so the config is an OCI image config whose
 * rootfs.diff_ids list the layer digests (the layers are uncompressed).
 */

export interface SignatureLayerInput {
  /** The layer blob: simple-signing payload bytes, or DSSE envelope JSON for attestations. */
  payload: Uint8Array;
  /** Layer media type; simple signing by default. */
  mediaType?: string;
  /** Base64 signature (simple signing). For DSSE layers cosign writes an empty string. */
  signature: string;
  /** PEM leaf certificate (keyless or --cert signing). */
  certificatePem?: string;
  /** PEM chain after the leaf. */
  chainPem?: string;
  /** Rekor SET bundle JSON (dev.sigstore.cosign/bundle), when a transparency log was used. */
  rekorBundle?: string;
  /** RFC 3161 timestamp JSON (dev.sigstore.cosign/rfc3161timestamp). */
  rfc3161Timestamp?: string;
  /** Attestations: the in-toto predicate type (dev.cosignproject.cosign/predicateType). */
  predicateType?: string;
  /** Further annotations to put on the layer. */
  extraAnnotations?: Record<string, string>;
}

/** The layer blob and its descriptor with cosign's annotations. */
export function buildSignatureLayer(input: SignatureLayerInput): OciBlob {
  const annotations: Record<string, string> = { ...(input.extraAnnotations ?? {}) };
  annotations[ANNOTATIONS.signature] = input.signature;
  if (input.certificatePem !== undefined) annotations[ANNOTATIONS.certificate] = input.certificatePem;
  if (input.chainPem !== undefined) annotations[ANNOTATIONS.chain] = input.chainPem;
  if (input.rekorBundle !== undefined) annotations[ANNOTATIONS.rekorBundle] = input.rekorBundle;
  if (input.rfc3161Timestamp !== undefined) annotations[ANNOTATIONS.rfc3161Timestamp] = input.rfc3161Timestamp;
  if (input.predicateType !== undefined) annotations[ANNOTATIONS.predicateType] = input.predicateType;
  const b = blob(input.mediaType ?? MEDIA_TYPES.simpleSigning, input.payload);
  b.descriptor.annotations = annotations;
  return b;
}

export interface SignatureImage {
  /** The manifest to push at the `.sig` / `.att` tag. */
  manifest: OciBlob;
  /** The config blob to push before the manifest. */
  config: OciBlob;
  /** The layer descriptors, in order (their blobs are the payloads). */
  layers: OciDescriptor[];
}

/**
 * Builds the signatures image from layer descriptors. To add a signature to an image that already
 * has some, pass the existing manifest: its layers are kept (cosign appends), and a layer equal to
 * the new one (same payload digest and same annotations) is not added twice.
 */
export function buildSignatureImage(newLayers: OciDescriptor[], existingManifest?: Uint8Array): SignatureImage {
  const layers: OciDescriptor[] = existingManifest ? parseOciManifest(existingManifest, 'existing signature manifest').layers : [];
  for (const layer of newLayers) {
    if (!layers.some((l) => sameLayer(l, layer))) layers.push(layer);
  }
  if (layers.length === 0) throw new SigningFormatError('signature image: no layers');
  const config = blob(MEDIA_TYPES.ociConfig, Buffer.from(signatureImageConfig(layers.map((l) => l.digest))));
  const manifest = {
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.ociManifest,
    config: descriptorJson(config.descriptor),
    layers: layers.map(descriptorJson),
  };
  return { manifest: blob(MEDIA_TYPES.ociManifest, Buffer.from(JSON.stringify(manifest))), config, layers };
}

/**
 * The config go-containerregistry writes for an empty image with appended layers (field order of
 * its ConfigFile struct; zero times as Go formats them).
 */
function signatureImageConfig(diffIds: string[]): string {
  const zero = '0001-01-01T00:00:00Z';
  return JSON.stringify({
    architecture: '',
    created: zero,
    history: diffIds.map(() => ({ created: zero })),
    os: '',
    rootfs: { type: 'layers', diff_ids: diffIds },
    config: {},
  });
}

function sameLayer(a: OciDescriptor, b: OciDescriptor): boolean {
  if (a.digest !== b.digest || a.mediaType !== b.mediaType) return false;
  const ka = Object.entries(a.annotations ?? {}).sort(([x], [y]) => (x < y ? -1 : 1));
  const kb = Object.entries(b.annotations ?? {}).sort(([x], [y]) => (x < y ? -1 : 1));
  return JSON.stringify(ka) === JSON.stringify(kb);
}

/** One signature (layer) of a signatures image, as read back. */
export interface SignatureEntry {
  /** The layer descriptor: fetch its blob (the payload) and check it with checkBlob. */
  layer: OciDescriptor;
  signature: string;
  certificatePem?: string;
  chainPem?: string;
  rekorBundle?: string;
  rfc3161Timestamp?: string;
  predicateType?: string;
}

/** Reads the signatures (or attestations) of a `.sig` / `.att` manifest. */
export function parseSignatureImage(manifestBytes: Uint8Array, what = 'signature manifest'): SignatureEntry[] {
  const manifest = parseOciManifest(manifestBytes, what);
  return manifest.layers.map((layer, i) => {
    const a = layer.annotations ?? {};
    const signature = a[ANNOTATIONS.signature];
    if (signature === undefined) throw new SigningFormatError(`${what}: layers[${i}] has no ${ANNOTATIONS.signature} annotation`);
    const entry: SignatureEntry = { layer, signature };
    if (a[ANNOTATIONS.certificate] !== undefined) entry.certificatePem = a[ANNOTATIONS.certificate];
    if (a[ANNOTATIONS.chain] !== undefined) entry.chainPem = a[ANNOTATIONS.chain];
    if (a[ANNOTATIONS.rekorBundle] !== undefined) entry.rekorBundle = a[ANNOTATIONS.rekorBundle];
    if (a[ANNOTATIONS.rfc3161Timestamp] !== undefined) entry.rfc3161Timestamp = a[ANNOTATIONS.rfc3161Timestamp];
    if (a[ANNOTATIONS.predicateType] !== undefined) entry.predicateType = a[ANNOTATIONS.predicateType];
    return entry;
  });
}
