import type { ImageStore } from '@bulkhead/persistence';
import type { PackageResult } from '@bulkhead/plugin-sdk';
import type { HostArtifact, HostArtifacts, PackagePage, PageRequest } from '@bulkhead/plugin-sdk/api';

/**
 * HostArtifacts over the image store (the typed core queries for an image's executables and
 * packages). All look an image up by its image id (config digest) or any manifest digest it is known by.
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

  async packages(digest: string, page: PageRequest = {}): Promise<PackagePage | null> {
    const artifact = await this.images.getByDigest(digest);
    if (!artifact) return null;
    const connection = await this.images.packages(artifact.id, page);
    return {
      // Stored '' means "not recorded" (PackageEntity.layer / path): absent in the SDK shape.
      items: connection.edges.map(({ node: p }): PackageResult => ({
        type: p.type,
        name: p.name,
        version: p.version,
        ...(p.sourceName ? { sourceName: p.sourceName } : {}),
        ...(p.sourceVersion ? { sourceVersion: p.sourceVersion } : {}),
        purl: p.purl,
        ...(p.layer ? { layer: p.layer } : {}),
        ...(p.path ? { path: p.path } : {}),
        metadata: p.metadata,
      })),
      hasNextPage: connection.pageInfo.hasNextPage,
      endCursor: connection.pageInfo.endCursor,
    };
  }
}
