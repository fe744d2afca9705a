import {
  buildSignatureImage,
  buildSignatureLayer,
  buildSimpleSigningPayload,
  cosignTag,
  parseSignatureImage,
  verifySimpleSigning,
  type SignatureEntry,
} from '@bulkhead/signing';
import type { RegistryClient } from '@bulkhead/oci';
import type { SignatureCheck } from '../store/signature-records';
import type { ImageSigner } from './image-signer';
import type { ResolvedImage } from './resolve';
import type { Verifier } from './verifiers';
import { checkWithVerifiers } from './verifiers';

/** A signature payload is a small JSON document: refuse blobs larger than this before reading them. */
export const MAX_PAYLOAD_BYTES = 1024 * 1024;

export interface WrittenSignature {
  format: 'cosign-legacy' | 'cosign-bundle';
  /** Where it went: the tag (legacy) or the referrer manifest digest (bundle). */
  location: string;
  /** Digest of the signature's own blob (the payload layer, the bundle). */
  signatureDigest: string;
}

/**
 * cosign's legacy form: the simple-signing payload for the digest, signed, as one layer of the
 * signatures image at `sha256-<hex>.sig`. An existing signatures image is kept and the layer
 * appended (as cosign does), so signatures by other keys stay.
 */
export async function signLegacy(client: RegistryClient, image: ResolvedImage, signer: ImageSigner, annotations?: Record<string, string>): Promise<WrittenSignature> {
  const payload = buildSimpleSigningPayload({
    dockerReference: image.repositoryName,
    manifestDigest: image.digest,
    optional: annotations && Object.keys(annotations).length > 0 ? annotations : null,
  });
  const signature = (await signer.sign(payload)).toString('base64');
  const layer = buildSignatureLayer({ payload, signature });
  const tag = cosignTag(image.digest, 'sig');
  const existing = (await client.headManifest(image.ref, tag)) ? await client.getManifest(image.ref, tag) : undefined;
  const signatures = buildSignatureImage([layer.descriptor], existing?.bytes);
  await client.pushBlob(image.ref, layer.bytes, layer.descriptor.digest, layer.descriptor.size);
  await client.pushBlob(image.ref, signatures.config.bytes, signatures.config.descriptor.digest, signatures.config.descriptor.size);
  await client.putManifest(image.ref, tag, signatures.manifest.bytes, signatures.manifest.descriptor.mediaType);
  return { format: 'cosign-legacy', location: tag, signatureDigest: layer.descriptor.digest };
}

/**
 * Every legacy signature at the image's `.sig` tag, each checked with the verifiers: the
 * signature over the exact payload bytes, then the payload's digest against the image's.
 */
export async function verifyLegacy(client: RegistryClient, image: ResolvedImage, verifiers: readonly Verifier[]): Promise<SignatureCheck[]> {
  const tag = cosignTag(image.digest, 'sig');
  if (!(await client.headManifest(image.ref, tag))) return [];
  const manifest = await client.getManifest(image.ref, tag);
  let entries: SignatureEntry[];
  try {
    entries = parseSignatureImage(manifest.bytes, `signature manifest ${tag}`);
  } catch (error) {
    return [unreadable(image, manifest.digest, `signature manifest ${tag}: ${(error as Error).message}`)];
  }
  const checks: SignatureCheck[] = [];
  for (const entry of entries) {
    let payload: Buffer;
    try {
      if (entry.layer.size > MAX_PAYLOAD_BYTES) throw new Error(`payload of ${entry.layer.size} bytes is larger than ${MAX_PAYLOAD_BYTES}`);
      payload = await client.readBlob(image.ref, entry.layer.digest, MAX_PAYLOAD_BYTES);
    } catch (error) {
      checks.push(unreadable(image, entry.layer.digest, `payload ${entry.layer.digest}: ${(error as Error).message}`));
      continue;
    }
    checks.push(
      ...checkWithVerifiers(image, 'cosign-legacy', entry.layer.digest, verifiers, (verifier) => {
        const result = verifySimpleSigning({ payload, signature: entry.signature, publicKey: verifier.publicKey, expectedDigest: image.digest });
        return result.ok ? { ok: true } : { ok: false, reason: `${result.reason}: ${result.message}` };
      }),
    );
  }
  return checks;
}

function unreadable(image: ResolvedImage, signatureDigest: string, reason: string): SignatureCheck {
  return { imageDigest: image.digest, reference: image.pinned, format: 'cosign-legacy', signatureDigest, verifier: 'none', identity: null, valid: false, reason };
}
