import { BadInputError } from '@bulkhead/plugin-sdk';
import { formatRegistryReference, parseImageReference, type RegistryClient } from '@bulkhead/oci';

/** Thrown when the image a reference names now is not the image the gate scanned. */
export class ImageChangedError extends Error {
  override readonly name = 'ImageChangedError';
}

/**
 * The registry image the gate may sign: the reference pinned to the manifest (or index) digest
 * it names now, checked to be the image the gate scanned (its config digest, the image id, is
 * the scan's). A tag can move between the scan and the signature; signing the tag would sign
 * whatever it names then. The pinned digest is what gets signed, so nothing moves after this.
 * Throws BadInputError for a source that is not in a registry (an OCI layout has no signatures).
 */
export async function pinScannedImage(client: RegistryClient, ref: string, imageId: string): Promise<{ pinned: string; digest: string }> {
  const source = parseImageReference(ref);
  if (source.kind !== 'registry') throw new BadInputError(`only an image in a registry can be signed; ${ref} is a local ${source.kind}: source`);
  const image = source.image;
  const top = await client.getManifest(image, image.digest ?? image.tag ?? 'latest');
  const pinned = formatRegistryReference({ registry: image.registry, repository: image.repository, digest: top.digest, reference: '' });
  // The platform manifest the scanner read from this digest (an index is followed the same way).
  const manifest = await client.resolveImage({ registry: image.registry, repository: image.repository, digest: top.digest, reference: pinned });
  let config: unknown;
  try {
    config = (JSON.parse(manifest.bytes.toString('utf8')) as { config?: { digest?: unknown } }).config?.digest;
  } catch {
    config = undefined;
  }
  if (config !== imageId) {
    throw new ImageChangedError(`${ref} now names image ${typeof config === 'string' ? config : '(no config)'} (${top.digest}), not the image ${imageId} the gate scanned`);
  }
  return { pinned, digest: top.digest };
}
