import { createHash } from 'node:crypto';
import { isRecord, LIMITS, parseJson, requireDigest } from './bounded';
import { SigningFormatError } from './errors';

/** Media types and annotation keys of cosign's registry layouts. */
export const MEDIA_TYPES = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  /** OCI 1.1 empty descriptor: the config of artifact manifests (the blob is `{}`). */
  ociEmpty: 'application/vnd.oci.empty.v1+json',
  simpleSigning: 'application/vnd.dev.cosign.simplesigning.v1+json',
  dsseEnvelope: 'application/vnd.dsse.envelope.v1+json',
  sigstoreBundleV03: 'application/vnd.dev.sigstore.bundle.v0.3+json',
  inTotoPayload: 'application/vnd.in-toto+json',
} as const;

export const ANNOTATIONS = {
  signature: 'dev.cosignproject.cosign/signature',
  certificate: 'dev.sigstore.cosign/certificate',
  chain: 'dev.sigstore.cosign/chain',
  /** Rekor SET bundle (JSON) of a legacy signature. */
  rekorBundle: 'dev.sigstore.cosign/bundle',
  rfc3161Timestamp: 'dev.sigstore.cosign/rfc3161timestamp',
  predicateType: 'dev.cosignproject.cosign/predicateType',
  /** Set by cosign on bundle referrers: the bundle's predicate type (attestations) */
  bundleContent: 'dev.sigstore.bundle.content',
  bundlePredicateType: 'dev.sigstore.bundle.predicateType',
  created: 'org.opencontainers.image.created',
} as const;

export interface OciDescriptor {
  mediaType: string;
  size: number;
  digest: string;
  annotations?: Record<string, string>;
  artifactType?: string;
}

/** Bytes to push and the descriptor that names them. */
export interface OciBlob {
  descriptor: OciDescriptor;
  bytes: Buffer;
}

export function sha256Digest(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

export function blob(mediaType: string, bytes: Uint8Array, annotations?: Record<string, string>): OciBlob {
  const buffer = Buffer.from(bytes);
  const descriptor: OciDescriptor = { mediaType, size: buffer.length, digest: sha256Digest(buffer) };
  if (annotations && Object.keys(annotations).length > 0) descriptor.annotations = annotations;
  return { descriptor, bytes: buffer };
}

/**
 * The tag cosign stores an image's signatures (`sig`), attestations (`att`) or SBOMs (`sbom`)
 * under, and that the referrers API's tag-schema fallback uses (no suffix): `sha256-<hex>.sig`.
 */
export function cosignTag(imageDigest: string, suffix: 'sig' | 'att' | 'sbom' | '' = 'sig'): string {
  requireDigest(imageDigest, 'image digest');
  const tag = imageDigest.replace(':', '-');
  return suffix === '' ? tag : `${tag}.${suffix}`;
}

/** Checks fetched bytes against their descriptor (size and digest) before anything reads them. */
export function checkBlob(descriptor: OciDescriptor, bytes: Uint8Array, what = 'blob'): void {
  if (bytes.length !== descriptor.size) throw new SigningFormatError(`${what}: ${bytes.length} bytes, the descriptor says ${descriptor.size}`);
  const digest = sha256Digest(bytes);
  if (descriptor.digest.startsWith('sha256:') && digest !== descriptor.digest) throw new SigningFormatError(`${what}: digest ${digest} does not match the descriptor's ${descriptor.digest}`);
  if (!descriptor.digest.startsWith('sha256:')) throw new SigningFormatError(`${what}: only sha256 descriptors are supported (got ${descriptor.digest.split(':')[0]})`);
}

/** Serializes a descriptor with go-containerregistry's field order (mediaType, size, digest, annotations, artifactType), annotations sorted. */
export function descriptorJson(d: OciDescriptor): Record<string, unknown> {
  const out: Record<string, unknown> = { mediaType: d.mediaType, size: d.size, digest: d.digest };
  if (d.annotations && Object.keys(d.annotations).length > 0) out.annotations = sortedAnnotations(d.annotations);
  if (d.artifactType !== undefined) out.artifactType = d.artifactType;
  return out;
}

/** Annotations in key order, as Go marshals a map[string]string. */
export function sortedAnnotations(annotations: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(annotations).sort(([a], [b]) => Buffer.compare(Buffer.from(a), Buffer.from(b))));
}

export interface ParsedManifest {
  mediaType?: string;
  artifactType?: string;
  config: OciDescriptor;
  layers: OciDescriptor[];
  subject?: OciDescriptor;
  annotations: Record<string, string>;
}

/** Parses an OCI image manifest with bounds; descriptors are checked field by field. */
export function parseOciManifest(bytes: Uint8Array, what = 'manifest'): ParsedManifest {
  const doc = parseJson(bytes, what, 4 * 1024 * 1024);
  if (!isRecord(doc)) throw new SigningFormatError(`${what}: expected a JSON object`);
  if (doc.schemaVersion !== 2) throw new SigningFormatError(`${what}: schemaVersion must be 2`);
  if (doc.mediaType !== undefined && doc.mediaType !== MEDIA_TYPES.ociManifest) {
    throw new SigningFormatError(`${what}: mediaType ${JSON.stringify(doc.mediaType)} is not an OCI image manifest`);
  }
  const config = parseDescriptor(doc.config, `${what}: config`);
  if (!Array.isArray(doc.layers)) throw new SigningFormatError(`${what}: layers must be an array`);
  if (doc.layers.length > 1000) throw new SigningFormatError(`${what}: more than 1000 layers`);
  const layers = doc.layers.map((l, i) => parseDescriptor(l, `${what}: layers[${i}]`));
  const subject = doc.subject === undefined ? undefined : parseDescriptor(doc.subject, `${what}: subject`);
  return {
    mediaType: typeof doc.mediaType === 'string' ? doc.mediaType : undefined,
    artifactType: typeof doc.artifactType === 'string' ? doc.artifactType : undefined,
    config,
    layers,
    subject,
    annotations: parseAnnotations(doc.annotations, `${what}: annotations`),
  };
}

export function parseDescriptor(value: unknown, what: string): OciDescriptor {
  if (!isRecord(value)) throw new SigningFormatError(`${what}: expected a descriptor object`);
  if (typeof value.mediaType !== 'string' || value.mediaType.length === 0) throw new SigningFormatError(`${what}: mediaType must be a string`);
  if (typeof value.size !== 'number' || !Number.isSafeInteger(value.size) || value.size < 0) throw new SigningFormatError(`${what}: size must be a non-negative integer`);
  const descriptor: OciDescriptor = { mediaType: value.mediaType, size: value.size, digest: requireDigest(value.digest, `${what}: digest`) };
  const annotations = parseAnnotations(value.annotations, `${what}: annotations`);
  if (Object.keys(annotations).length > 0) descriptor.annotations = annotations;
  if (typeof value.artifactType === 'string') descriptor.artifactType = value.artifactType;
  return descriptor;
}

function parseAnnotations(value: unknown, what: string): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (!isRecord(value)) throw new SigningFormatError(`${what}: expected an object of strings`);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string') throw new SigningFormatError(`${what}: ${JSON.stringify(k)} is not a string`);
    if (v.length > LIMITS.payloadBytes) throw new SigningFormatError(`${what}: ${JSON.stringify(k)} is too large`);
    out[k] = v;
  }
  return out;
}
