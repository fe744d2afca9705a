import { BadInputError } from '@bulkhead/plugin-sdk';
import { formatRegistryReference, parseRegistryReference, type RegistryClient, type RegistryReference } from '@bulkhead/oci';

/** An image in a registry pinned to the manifest digest its tag named when it was resolved. */
export interface ResolvedImage {
  ref: RegistryReference;
  /** The manifest (or index) digest: what signatures are over. */
  digest: string;
  mediaType: string;
  size: number;
  /** The manifest bytes (a message-signature bundle is over them). */
  bytes: Buffer;
  /** registry/repository, as cosign's simple-signing payload names the image. */
  repositoryName: string;
  /** registry/repository@digest, for messages and records. */
  pinned: string;
}

/**
 * Resolves a reference to its manifest digest (a tag first, then the digest is what is signed or
 * checked: a tag moved later does not change what a signature covers). A reference by digest
 * is fetched too, so a digest the registry does not hold is an error here, not a signature over
 * nothing.
 */
export async function resolveImage(client: RegistryClient, reference: string): Promise<ResolvedImage> {
  const ref = parseRegistryReference(reference);
  const manifest = await client.getManifest(ref, ref.digest ?? ref.tag ?? 'latest');
  if (ref.digest && manifest.digest !== ref.digest) throw new BadInputError(`${reference}: the registry answered with ${manifest.digest}`);
  const repositoryName = `${ref.registry}/${ref.repository}`;
  return {
    ref,
    digest: manifest.digest,
    mediaType: manifest.mediaType,
    size: manifest.bytes.length,
    bytes: manifest.bytes,
    repositoryName,
    pinned: formatRegistryReference({ registry: ref.registry, repository: ref.repository, digest: manifest.digest, reference: '' }),
  };
}
