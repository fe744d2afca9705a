import { createHash } from 'node:crypto';
import { asObject, asString, parseStrictJson, parseStrictJsonBytes } from './encoding';
import { COSE_MEDIA_TYPE, JWS_MEDIA_TYPE, type EnvelopeMediaType } from './envelope-model';
import { malformed } from './errors';
import { MAX_CHAIN_LENGTH, MAX_DOCUMENT_BYTES } from './limits';
import { validateDescriptor, type Descriptor } from './payload';
import type { Certificate } from './x509';

// The OCI manifest notation pushes for a signature (signature-specification.md, "OCI
// Signatures"): an image manifest with artifactType application/vnd.cncf.notary.signature, the
// empty config, one layer holding the envelope, the signed manifest as `subject`, and the chain's
// SHA-256 thumbprints in an annotation so verifiers can pick signatures before downloading them.

export const NOTARY_SIGNATURE_ARTIFACT_TYPE = 'application/vnd.cncf.notary.signature';
export const OCI_IMAGE_MANIFEST_MEDIA_TYPE = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_EMPTY_MEDIA_TYPE = 'application/vnd.oci.empty.v1+json';
export const THUMBPRINT_ANNOTATION = 'io.cncf.notary.x509chain.thumbprint#S256';
export const CREATED_ANNOTATION = 'org.opencontainers.image.created';

/** The empty JSON `{}` (OCI image-spec 1.1 "empty descriptor"), the signature's config blob. */
export const EMPTY_CONFIG = Buffer.from('{}');
const EMPTY_CONFIG_DESCRIPTOR: Descriptor = { mediaType: OCI_EMPTY_MEDIA_TYPE, digest: sha256Digest(EMPTY_CONFIG), size: 2 };

export function sha256Digest(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

export interface BuildSignatureManifestOptions {
  envelope: Uint8Array;
  mediaType: EnvelopeMediaType;
  /** The signed manifest. */
  subject: Descriptor;
  certificateChain: Certificate[];
  /** Written as org.opencontainers.image.created (RFC 3339); defaults to now, as notation does. */
  created?: Date;
  /** More annotations (user metadata); io.cncf.notary.* keys are reserved. */
  annotations?: Record<string, string>;
}

export interface SignatureManifest {
  /** The manifest bytes to push (its digest is the signature's digest). */
  manifest: Buffer;
  descriptor: Descriptor;
  /** The blobs to push first. */
  config: { descriptor: Descriptor; bytes: Buffer };
  layer: { descriptor: Descriptor; bytes: Buffer };
}

export function buildSignatureManifest(options: BuildSignatureManifestOptions): SignatureManifest {
  if (options.mediaType !== JWS_MEDIA_TYPE && options.mediaType !== COSE_MEDIA_TYPE) throw malformed(`envelope media type ${JSON.stringify(options.mediaType)} is neither ${JWS_MEDIA_TYPE} nor ${COSE_MEDIA_TYPE}`);
  const subject = validateDescriptor(options.subject, 'subject');
  const envelope = Buffer.from(options.envelope);
  const layer: Descriptor = { mediaType: options.mediaType, digest: sha256Digest(envelope), size: envelope.length };
  const annotations: Record<string, string> = {};
  for (const [k, v] of Object.entries(options.annotations ?? {})) {
    if (k.startsWith('io.cncf.notary')) throw malformed(`annotation ${JSON.stringify(k)} uses the reserved io.cncf.notary prefix`);
    annotations[k] = v;
  }
  annotations[THUMBPRINT_ANNOTATION] = JSON.stringify(options.certificateChain.map((c) => c.sha256));
  annotations[CREATED_ANNOTATION] ??= (options.created ?? new Date()).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const manifestObject = {
    schemaVersion: 2,
    mediaType: OCI_IMAGE_MANIFEST_MEDIA_TYPE,
    artifactType: NOTARY_SIGNATURE_ARTIFACT_TYPE,
    config: EMPTY_CONFIG_DESCRIPTOR,
    layers: [layer],
    subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
    annotations,
  };
  const manifest = Buffer.from(JSON.stringify(manifestObject), 'utf8');
  return {
    manifest,
    descriptor: { mediaType: OCI_IMAGE_MANIFEST_MEDIA_TYPE, digest: sha256Digest(manifest), size: manifest.length, artifactType: NOTARY_SIGNATURE_ARTIFACT_TYPE, annotations },
    config: { descriptor: EMPTY_CONFIG_DESCRIPTOR, bytes: EMPTY_CONFIG },
    layer: { descriptor: layer, bytes: envelope },
  };
}

export interface ParsedSignatureManifest {
  subject: Descriptor;
  /** The envelope blob to fetch; its mediaType says JWS or COSE. */
  envelope: Descriptor & { mediaType: EnvelopeMediaType };
  /** Lowercase hex SHA-256 of each chain certificate, signing certificate first. */
  thumbprints: string[];
  annotations: Record<string, string>;
}

/**
 * Reads a Notary signature manifest. Accepts the OCI 1.1 form (artifactType) and the earlier
 * one notation wrote before it (no artifactType, config.mediaType = the signature type).
 */
export function parseSignatureManifest(bytes: Uint8Array): ParsedSignatureManifest {
  if (bytes.length > MAX_DOCUMENT_BYTES) throw malformed(`the signature manifest is ${bytes.length} bytes (at most ${MAX_DOCUMENT_BYTES})`);
  const m = asObject(parseStrictJsonBytes(bytes, 'the signature manifest'), 'the signature manifest');
  if (m.schemaVersion !== 2) throw malformed('the signature manifest schemaVersion is not 2');
  if (m.mediaType !== undefined && m.mediaType !== OCI_IMAGE_MANIFEST_MEDIA_TYPE) throw malformed(`the signature manifest mediaType is ${JSON.stringify(m.mediaType)}, not ${OCI_IMAGE_MANIFEST_MEDIA_TYPE}`);
  const config = validateDescriptor(m.config, 'config');
  const artifactType = m.artifactType === undefined ? config.mediaType : asString(m.artifactType, 'artifactType');
  if (artifactType !== NOTARY_SIGNATURE_ARTIFACT_TYPE) throw malformed(`the manifest's artifact type is ${JSON.stringify(artifactType)}, not ${NOTARY_SIGNATURE_ARTIFACT_TYPE}`);
  if (!Array.isArray(m.layers) || m.layers.length !== 1) throw malformed('a Notary signature manifest has exactly one layer (the envelope)');
  const layer = validateDescriptor(m.layers[0], 'layers[0]');
  if (layer.mediaType !== JWS_MEDIA_TYPE && layer.mediaType !== COSE_MEDIA_TYPE) throw malformed(`the envelope layer's media type ${JSON.stringify(layer.mediaType)} is neither ${JWS_MEDIA_TYPE} nor ${COSE_MEDIA_TYPE}`);
  if (m.subject === undefined) throw malformed('the signature manifest has no subject');
  const subject = validateDescriptor(m.subject, 'subject');
  const annotations = asObject(m.annotations ?? {}, 'annotations');
  for (const [k, v] of Object.entries(annotations)) asString(v, `annotations[${JSON.stringify(k)}]`);
  const raw = annotations[THUMBPRINT_ANNOTATION];
  if (raw === undefined) throw malformed(`the signature manifest lacks the ${THUMBPRINT_ANNOTATION} annotation`);
  const list = parseStrictJson(raw as string, `the ${THUMBPRINT_ANNOTATION} annotation`);
  if (!Array.isArray(list) || list.length === 0 || list.length > MAX_CHAIN_LENGTH || !list.every((t) => typeof t === 'string' && /^[0-9a-fA-F]{64}$/.test(t))) {
    throw malformed(`the ${THUMBPRINT_ANNOTATION} annotation is not a JSON array of 1 to ${MAX_CHAIN_LENGTH} SHA-256 hex thumbprints`);
  }
  return {
    subject,
    envelope: layer as Descriptor & { mediaType: EnvelopeMediaType },
    thumbprints: (list as string[]).map((t) => t.toLowerCase()),
    annotations: annotations as Record<string, string>,
  };
}

/** True when the manifest's thumbprints are those of the envelope's chain (a swapped envelope fails). */
export function thumbprintsMatch(parsed: ParsedSignatureManifest, chain: Certificate[]): boolean {
  return parsed.thumbprints.length === chain.length && parsed.thumbprints.every((t, i) => t === chain[i].sha256);
}
