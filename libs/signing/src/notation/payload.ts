import { malformed } from './errors';
import { asObject, asString, parseStrictJsonBytes } from './encoding';

/** An OCI content descriptor, as the Notary payload's `targetArtifact` carries it. */
export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
  urls?: string[];
  platform?: Record<string, unknown>;
}

export const NOTATION_PAYLOAD_MEDIA_TYPE = 'application/vnd.cncf.notary.payload.v1+json';

const DIGEST = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

export function validateDescriptor(value: unknown, what: string): Descriptor {
  const d = asObject(value, what);
  const mediaType = asString(d.mediaType, `${what}.mediaType`);
  const digest = asString(d.digest, `${what}.digest`);
  if (!DIGEST.test(digest)) throw malformed(`${what}.digest ${JSON.stringify(digest)} is not an OCI digest`);
  if (digest.startsWith('sha256:') && !/^sha256:[a-f0-9]{64}$/.test(digest)) throw malformed(`${what}.digest is not a sha256 digest of 64 lowercase hex digits`);
  if (digest.startsWith('sha512:') && !/^sha512:[a-f0-9]{128}$/.test(digest)) throw malformed(`${what}.digest is not a sha512 digest of 128 lowercase hex digits`);
  if (typeof d.size !== 'number' || !Number.isSafeInteger(d.size) || d.size < 0) throw malformed(`${what}.size is not a non-negative integer`);
  const out: Descriptor = { mediaType, digest, size: d.size };
  if (d.artifactType !== undefined) out.artifactType = asString(d.artifactType, `${what}.artifactType`);
  if (d.annotations !== undefined) {
    const a = asObject(d.annotations, `${what}.annotations`);
    for (const [k, v] of Object.entries(a)) asString(v, `${what}.annotations[${JSON.stringify(k)}]`);
    out.annotations = a as Record<string, string>;
  }
  if (d.urls !== undefined) {
    if (!Array.isArray(d.urls) || !d.urls.every((u) => typeof u === 'string')) throw malformed(`${what}.urls is not an array of strings`);
    out.urls = d.urls as string[];
  }
  if (d.platform !== undefined) out.platform = asObject(d.platform, `${what}.platform`);
  return out;
}

/** The payload bytes a Notary signature covers: `{"targetArtifact": descriptor}`. */
export function buildPayload(descriptor: Descriptor): Buffer {
  const target = validateDescriptor(descriptor, 'targetArtifact');
  return Buffer.from(JSON.stringify({ targetArtifact: target }), 'utf8');
}

export function parsePayload(bytes: Uint8Array): Descriptor {
  const doc = asObject(parseStrictJsonBytes(bytes, 'the signed payload'), 'the signed payload');
  if (doc.targetArtifact === undefined) throw malformed('the signed payload has no targetArtifact');
  return validateDescriptor(doc.targetArtifact, 'targetArtifact');
}

/** True when two descriptors name the same content (media type, digest and size all equal). */
export function sameContent(a: Descriptor, b: Pick<Descriptor, 'mediaType' | 'digest' | 'size'>): boolean {
  return a.mediaType === b.mediaType && a.digest === b.digest && a.size === b.size;
}
