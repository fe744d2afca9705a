import { type DataSource, type Repository } from 'typeorm';
import { ArtifactEntity, PackageEntity } from './entities';
import { DEFAULT_TEAM, teamScope, type TeamAccessor } from './team';
import { decodeCursor, encodeCursor, InvalidCursorError, isUuid, pageSize, toConnection, type Connection, type PageRequest } from './pagination';

export interface ImageFilter {
  /** Part of a name the image was scanned under, or the start of its image id (sha256:...). */
  search?: string;
  /** Only images holding a package of this exact name (IDX_package_type_name / artifact_name). */
  packageName?: string;
}

export interface PackageFilter {
  /** Exact package name. */
  name?: string;
  /** purl type: `deb`, `apk`, `npm` ... */
  type?: string;
}

/** Matches an artifact (alias `a`) by image id or by one of its manifest digests (GIN-indexed). */
const BY_EITHER_DIGEST = '(a.digest = :digest OR a.manifest_digests @> CAST(ARRAY[:digest] AS text[]))';

/** Read side of images/artifacts and their package inventories, within one team (team.ts). */
export class ImageStore {
  private readonly artifacts: Repository<ArtifactEntity>;
  private readonly packageRepo: Repository<PackageEntity>;
  private readonly team: () => string;

  /** Images are only ever read within a team: no ALL_TEAMS scope here. */
  constructor(dataSource: DataSource, scope: TeamAccessor = teamScope(DEFAULT_TEAM)) {
    this.artifacts = dataSource.getRepository(ArtifactEntity);
    this.packageRepo = dataSource.getRepository(PackageEntity);
    this.team = scope;
  }

  /**
   * An image by its image id (config digest) or by any manifest digest it is known by
   * (Kubernetes reports the manifest digest of a running pod's image). At most one row matches:
   * a manifest names exactly one config.
   */
  async getByDigest(digest: string): Promise<ArtifactEntity | null> {
    return this.artifacts
      .createQueryBuilder('a')
      .where(BY_EITHER_DIGEST, { digest })
      .andWhere('a.team = :team', { team: this.team() })
      .getOne();
  }

  async getById(id: string): Promise<ArtifactEntity | null> {
    if (!isUuid(id)) return null;
    return this.artifacts.findOneBy({ id, team: this.team() });
  }

  /** Most recently updated first, keyset-paginated on (updatedAt, id); `filter.search` as in count(). */
  async list(page: PageRequest = {}, filter: ImageFilter = {}): Promise<Connection<ArtifactEntity>> {
    const size = pageSize(page.first);
    const qb = this.filtered(filter).orderBy('a.updated_at', 'DESC').addOrderBy('a.id', 'DESC').take(size + 1);
    if (page.after) {
      const [updatedAt, id] = decodeCursor(page.after, 2) as [string, string];
      if (Number.isNaN(Date.parse(updatedAt)) || !isUuid(id)) throw new InvalidCursorError(page.after);
      qb.andWhere('(a.updated_at, a.id) < (:updatedAt, :id)', { updatedAt, id });
    }
    return toConnection(await qb.getMany(), size, (a) => encodeCursor([a.updatedAt.toISOString(), a.id]));
  }

  /** How many images of the team match `filter` (all of them without one). */
  async count(filter: ImageFilter = {}): Promise<number> {
    return this.filtered(filter).getCount();
  }

  private filtered(filter: ImageFilter) {
    const qb = this.artifacts.createQueryBuilder('a').where('a.team = :team', { team: this.team() });
    const search = filter.search?.trim();
    if (search) {
      // A digest (or its start), or part of a name the image was scanned under. LIKE's own
      // wildcards in the text are matched literally.
      const like = `%${search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      qb.andWhere(`(a.digest LIKE :prefix OR EXISTS (SELECT 1 FROM unnest(a."references") AS r(name) WHERE r.name ILIKE :like))`, { prefix: like.slice(1), like });
    }
    if (filter.packageName) {
      qb.andWhere('EXISTS (SELECT 1 FROM package p WHERE p.artifact_id = a.id AND p.team = a.team AND p.name = :packageName)', { packageName: filter.packageName });
    }
    return qb;
  }

  /** Packages of one artifact by name, keyset-paginated on (name, id). */
  async packages(artifactId: string, page: PageRequest = {}, filter: PackageFilter = {}): Promise<Connection<PackageEntity>> {
    const size = pageSize(page.first);
    const qb = this.packageRepo
      .createQueryBuilder('p')
      .where('p.artifact_id = :artifactId AND p.team = :team', { artifactId, team: this.team() })
      .orderBy('p.name', 'ASC')
      .addOrderBy('p.id', 'ASC')
      .take(size + 1);
    if (filter.name) qb.andWhere('p.name = :name', { name: filter.name });
    if (filter.type) qb.andWhere('p.type = :type', { type: filter.type });
    if (page.after) {
      const [name, id] = decodeCursor(page.after, 2) as [string, string];
      if (!isUuid(id)) throw new InvalidCursorError(page.after);
      qb.andWhere('(p.name, p.id) > (:name, :id)', { name, id });
    }
    return toConnection(await qb.getMany(), size, (p) => encodeCursor([p.name, p.id]));
  }

  async countPackages(artifactId: string): Promise<number> {
    return this.packageRepo.countBy({ artifactId, team: this.team() });
  }

  /**
   * The executables the scanner recorded for an image, by image id or manifest digest as
   * getByDigest (`metadata.executables`: absolute paths
   * such as `/usr/bin/dash`), read without loading the rest of the row. Null when the image is
   * unknown, or was scanned before executables were recorded: no inventory to judge drift by
   * (an empty set means "no executable at all" and makes every exec drift).
   */
  async executables(digest: string): Promise<ReadonlySet<string> | null> {
    const row = await this.artifacts
      .createQueryBuilder('a')
      .select(`a.metadata -> 'executables'`, 'executables')
      .where(BY_EITHER_DIGEST, { digest })
      .andWhere('a.team = :team', { team: this.team() })
      .getRawOne<{ executables: unknown }>();
    const list = row?.executables;
    if (!Array.isArray(list)) return null;
    const bad = list.findIndex((p) => typeof p !== 'string');
    if (bad >= 0) throw new Error(`artifact ${digest}: metadata.executables[${bad}] is not a string`);
    return new Set(list as string[]);
  }
}
