import type { ImageStore } from '@bulkhead/persistence';
import type { HostArtifact, HostArtifacts } from '@bulkhead/plugin-sdk/api';

/** HostArtifacts over the image store (the typed core query for an image's executables). */
export class StoreHostArtifacts implements HostArtifacts {
  constructor(private readonly images: ImageStore) {}

  async get(digest: string): Promise<HostArtifact | null> {
    const artifact = await this.images.getByDigest(digest);
    if (!artifact) return null;
    return {
      id: artifact.id,
      digest: artifact.digest,
      // Images are keyed by the digest they were read with until the data model records manifest digests.
      manifestDigests: [],
      references: artifact.references,
      os: artifact.osFamily ? { family: artifact.osFamily, version: artifact.osVersion ?? '', ...(artifact.osName ? { name: artifact.osName } : {}) } : null,
    };
  }

  executables(digest: string): Promise<ReadonlySet<string> | null> {
    return this.images.executables(digest);
  }
}
