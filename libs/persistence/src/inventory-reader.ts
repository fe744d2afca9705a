import type { PlatformInventories, StoredInventory, StoredPackage } from '@bulkhead/plugin-sdk';
import type { DataSource } from 'typeorm';
import { ArtifactEntity, PackageEntity } from './entities';
import { isUuid } from './pagination';
import { tableName } from './table-name';

/** Most artifact ids one artifactIds() call returns. */
export const MAX_INVENTORY_PAGE = 10_000;
/** Most artifacts one read() call loads (a re-matching batch is far below). */
export const MAX_INVENTORY_READ = 2_000;

interface PackageRow {
  id: string;
  artifact_id: string;
  type: string;
  name: string;
  version: string;
  source_name: string | null;
  source_version: string | null;
  purl: string;
  layer: string;
  path: string;
}

/**
 * The SDK's PlatformInventories over the core artifact and package tables, for one team: how a
 * task on the worker reads stored inventories (e.g. to re-match them after an advisory update)
 * without querying core tables itself. Package metadata (installed files, licences) is left
 * out: it can be large and no re-reading of an inventory needs it.
 */
export class StoreInventories implements PlatformInventories {
  constructor(
    private readonly dataSource: DataSource,
    private readonly team: string,
  ) {}

  async artifactIds(options: { after?: string; limit: number }): Promise<string[]> {
    const limit = Math.trunc(options.limit);
    if (!(limit >= 1 && limit <= MAX_INVENTORY_PAGE)) throw new RangeError(`artifactIds: limit must be 1 to ${MAX_INVENTORY_PAGE}, not ${options.limit}`);
    if (options.after !== undefined && !isUuid(options.after)) throw new RangeError(`artifactIds: after must be an artifact id (a UUID)`);
    const artifacts = tableName(this.dataSource, ArtifactEntity);
    const packages = tableName(this.dataSource, PackageEntity);
    const rows: { id: string }[] = await this.dataSource.query(
      `SELECT a.id FROM ${artifacts} AS a
        WHERE a.team = $1 AND ($2::uuid IS NULL OR a.id > $2::uuid)
          AND EXISTS (SELECT 1 FROM ${packages} AS p WHERE p.artifact_id = a.id)
        ORDER BY a.id LIMIT $3`,
      [this.team, options.after ?? null, limit],
    );
    return rows.map((row) => row.id);
  }

  async read(artifactIds: readonly string[]): Promise<StoredInventory[]> {
    const ids = [...new Set(artifactIds)].filter(isUuid);
    if (ids.length === 0) return [];
    if (ids.length > MAX_INVENTORY_READ) throw new RangeError(`read: at most ${MAX_INVENTORY_READ} artifacts at once, not ${ids.length}`);
    const artifacts = tableName(this.dataSource, ArtifactEntity);
    const packages = tableName(this.dataSource, PackageEntity);
    const artifactRows: { id: string; digest: string; os_family: string | null; os_version: string | null; os_name: string | null }[] = await this.dataSource.query(
      `SELECT id, digest, os_family, os_version, os_name FROM ${artifacts} WHERE team = $1 AND id = ANY($2::uuid[]) ORDER BY id`,
      [this.team, ids],
    );
    if (artifactRows.length === 0) return [];
    const packageRows: PackageRow[] = await this.dataSource.query(
      `SELECT id, artifact_id, type, name, version, source_name, source_version, purl, layer, path
         FROM ${packages} WHERE team = $1 AND artifact_id = ANY($2::uuid[])`,
      [this.team, artifactRows.map((row) => row.id)],
    );
    const byArtifact = new Map<string, StoredPackage[]>(artifactRows.map((row) => [row.id, []]));
    for (const row of packageRows) byArtifact.get(row.artifact_id)?.push(storedPackageOf(row));
    return artifactRows.map((row) => ({
      artifactId: row.id,
      digest: row.digest,
      os: row.os_family && row.os_version !== null ? { family: row.os_family, version: row.os_version, ...(row.os_name ? { name: row.os_name } : {}) } : null,
      packages: byArtifact.get(row.id) ?? [],
    }));
  }
}

function storedPackageOf(row: PackageRow): StoredPackage {
  return {
    id: row.id,
    type: row.type,
    name: row.name,
    version: row.version,
    ...(row.source_name !== null ? { sourceName: row.source_name } : {}),
    ...(row.source_version !== null ? { sourceVersion: row.source_version } : {}),
    purl: row.purl,
    ...(row.layer ? { layer: row.layer } : {}),
    ...(row.path ? { path: row.path } : {}),
  };
}
