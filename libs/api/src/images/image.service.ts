import { Inject, Injectable } from '@nestjs/common';
import { ImageStore, type ArtifactEntity, type PackageEntity } from '@bulkhead/persistence';
import type { Connection } from '@bulkhead/plugin-sdk/api';
import { mapConnection, pageRequest } from '../graphql/pagination';
import { IMAGE_STORE } from '../tokens';
import type { Image, Package } from './image.model';

/** Reads stored images and their package inventories (through persistence's ImageStore). */
@Injectable()
export class ImageService {
  constructor(@Inject(IMAGE_STORE) private readonly images: ImageStore) {}

  /** By image id (config digest) or by any manifest digest of the image. */
  async byDigest(digest: string): Promise<Image | null> {
    const entity = await this.images.getByDigest(digest);
    return entity ? toImageModel(entity) : null;
  }

  /** The team's images, most recently updated first; `search`: part of a name or the start of an image id; `packageName`: holding that package. */
  async list(first: number | null | undefined, after: string | null | undefined, search: string | null | undefined, packageName?: string | null): Promise<Connection<Image>> {
    const filter = { ...(search ? { search } : {}), ...(packageName ? { packageName } : {}) };
    const [page, totalCount] = await Promise.all([this.images.list(pageRequest(first, after), filter), this.images.count(filter)]);
    return mapConnection(page, totalCount, toImageModel);
  }

  /** By row id (Task.image). */
  async byId(artifactId: string): Promise<Image | null> {
    const entity = await this.images.getById(artifactId);
    return entity ? toImageModel(entity) : null;
  }

  /** Packages of one image (row id and image id) ordered by name. */
  async packages(image: Pick<Image, 'artifactId' | 'digest'>, first: number | null | undefined, after: string | null | undefined): Promise<Connection<Package>> {
    const [page, totalCount] = await Promise.all([this.images.packages(image.artifactId, pageRequest(first, after)), this.images.countPackages(image.artifactId)]);
    return mapConnection(page, totalCount, (entity) => toPackageModel(entity, image.digest));
  }
}

function toImageModel(entity: ArtifactEntity): Image {
  return {
    artifactId: entity.id,
    digest: entity.digest,
    manifestDigests: entity.manifestDigests,
    references: entity.references,
    os: entity.osFamily ? { family: entity.osFamily, version: entity.osVersion ?? '', name: entity.osName } : null,
    size: entity.size,
    layers: entity.layers.map((layer) => ({
      digest: layer.digest,
      diffId: layer.diffId ?? null,
      size: layer.size,
      mediaType: layer.mediaType ?? null,
    })),
    createdAt: entity.createdAt,
    updatedAt: entity.updatedAt,
  };
}

function toPackageModel(entity: PackageEntity, imageDigest: string): Package {
  return {
    imageDigest,
    id: entity.id,
    type: entity.type,
    name: entity.name,
    version: entity.version,
    sourceName: entity.sourceName,
    sourceVersion: entity.sourceVersion,
    purl: entity.purl,
    // '' in the table means "unknown layer" (it keeps NULL out of the unique key).
    layer: entity.layer === '' ? null : entity.layer,
    path: entity.path === '' ? null : entity.path,
  };
}
