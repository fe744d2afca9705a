import { Inject, Injectable } from '@nestjs/common';
import { ArtifactEntity, PackageEntity } from '@bulkhead/persistence';
import { DataSource } from 'typeorm';
import type { Connection } from '../graphql/connection';
import { decodeCursor, pageSize } from '../graphql/cursor';
import { toConnection } from '../graphql/keyset';
import { DATA_SOURCE } from '../tokens';
import type { Image, Package } from './image.model';

/** Reads stored images and their package inventories. */
@Injectable()
export class ImageService {
  constructor(@Inject(DATA_SOURCE) private readonly dataSource: DataSource) {}

  async byDigest(digest: string): Promise<Image | null> {
    const entity = await this.dataSource.getRepository(ArtifactEntity).findOneBy({ digest });
    return entity ? toImageModel(entity) : null;
  }

  /** Packages of one image ordered by (name, id), matching the index used for keyset pagination. */
  async packages(artifactId: string, first: number | null | undefined, after: string | null | undefined): Promise<Connection<Package>> {
    const limit = pageSize(first);
    const query = this.dataSource.getRepository(PackageEntity).createQueryBuilder('pkg').where('pkg.artifact_id = :artifactId', { artifactId });
    const totalCount = await query.clone().getCount();
    if (after) {
      const [name, id] = decodeCursor(after, 2);
      query.andWhere('(pkg.name, pkg.id) > (:name, :id)', { name: String(name), id: String(id) });
    }
    const rows = await query.orderBy('pkg.name', 'ASC').addOrderBy('pkg.id', 'ASC').take(limit + 1).getMany();
    return toConnection(rows, limit, totalCount, (row) => [row.name, row.id], toPackageModel);
  }
}

function toImageModel(entity: ArtifactEntity): Image {
  return {
    artifactId: entity.id,
    digest: entity.digest,
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

function toPackageModel(entity: PackageEntity): Package {
  return {
    type: entity.type,
    name: entity.name,
    version: entity.version,
    sourceName: entity.sourceName,
    sourceVersion: entity.sourceVersion,
    purl: entity.purl,
    // '' in the table means "unknown layer" (it keeps NULL out of the unique key).
    layer: entity.layer === '' ? null : entity.layer,
  };
}
