import type { ImageStore } from '@bulkhead/persistence';
import type { HostArtifact, HostArtifacts } from '@bulkhead/plugin-sdk/api';

/**
 * HostArtifacts over the image store (the typed core query for an image's executables). Both
 * look an image up by its image id (config digest) or any manifest digest it is known by.
 */
export class StoreHostArtifacts implements HostArtifacts {
  constructor(private readonly images: ImageStore) {}

  /** By image id (config digest) or any manifest digest of the image (ImageStore.getByDigest). */
  async get(digest: string): Promise<HostArtifact | null> {
    const artifact = await this.images.getByDigest(digest);
    if (!artifact) return null;
    return {
      id: artifact.id,
      digest: artifact.digest,
      manifestDigests: artifact.manifestDigests,
      references: artifact.references,
      os: artifact.osFamily ? { family: artifact.osFamily, version: artifact.osVersion ?? '', ...(artifact.osName ? { name: artifact.osName } : {}) } : null,
    };
  }

  executables(digest: string): Promise<ReadonlySet<string> | null> {
    return this.images.executables(digest);
  }
}
