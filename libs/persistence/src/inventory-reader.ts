import { foldPackageName, MAX_PACKAGE_NAME_FILTER, type PackageNameFilter, type PlatformInventories, type StoredInventory, type StoredPackage } from '@bulkhead/plugin-sdk';
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

  async artifactIds(options: { after?: string; limit: number } & PackageNameFilter): Promise<string[]> {
    const limit = Math.trunc(options.limit);
    if (!(limit >= 1 && limit <= MAX_INVENTORY_PAGE)) throw new RangeError(`artifactIds: limit must be 1 to ${MAX_INVENTORY_PAGE}, not ${options.limit}`);
    if (options.after !== undefined && !isUuid(options.after)) throw new RangeError(`artifactIds: after must be an artifact id (a UUID)`);
    const names = foldedNames('artifactIds', options.packageNames);
    const artifacts = tableName(this.dataSource, ArtifactEntity);
    const packages = tableName(this.dataSource, PackageEntity);
    const rows: { id: string }[] = await this.dataSource.query(
      `SELECT a.id FROM ${artifacts} AS a
        WHERE a.team = $1 AND ($2::uuid IS NULL OR a.id > $2::uuid)
          AND EXISTS (SELECT 1 FROM ${packages} AS p WHERE p.artifact_id = a.id AND ${namesPass('p', '$4')})
        ORDER BY a.id LIMIT $3`,
      [this.team, options.after ?? null, limit, names],
    );
    return rows.map((row) => row.id);
  }

  async read(artifactIds: readonly string[], options: PackageNameFilter = {}): Promise<StoredInventory[]> {
    const ids = [...new Set(artifactIds)].filter(isUuid);
    if (ids.length === 0) return [];
    if (ids.length > MAX_INVENTORY_READ) throw new RangeError(`read: at most ${MAX_INVENTORY_READ} artifacts at once, not ${ids.length}`);
    const names = foldedNames('read', options.packageNames);
    const artifacts = tableName(this.dataSource, ArtifactEntity);
    const packages = tableName(this.dataSource, PackageEntity);
    const artifactRows: { id: string; digest: string; os_family: string | null; os_version: string | null; os_name: string | null }[] = await this.dataSource.query(
      `SELECT id, digest, os_family, os_version, os_name FROM ${artifacts} WHERE team = $1 AND id = ANY($2::uuid[]) ORDER BY id`,
      [this.team, ids],
    );
    if (artifactRows.length === 0) return [];
    const columns = 'id, artifact_id, type, name, version, source_name, source_version, purl, layer, path';
    const where = `team = $1 AND artifact_id = ANY($2::uuid[])`;
    // Narrowed: two arms so that each uses its index (an OR would read every package of the batch).
    const packageRows: PackageRow[] = await this.dataSource.query(
      names
        ? `SELECT ${columns} FROM ${packages} WHERE ${where} AND name_keys && $3::text[]
           UNION ALL
           SELECT ${columns} FROM ${packages} WHERE ${where} AND name_keys IS NULL`
        : `SELECT ${columns} FROM ${packages} WHERE ${where}`,
      [this.team, artifactRows.map((row) => row.id), ...(names ? [names] : [])],
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

/** The filter's names folded and deduplicated (null: no filter), checked against the bound. */
function foldedNames(method: string, names: readonly string[] | undefined): string[] | null {
  if (names === undefined) return null;
  if (!Array.isArray(names) || names.some((name) => typeof name !== 'string')) throw new TypeError(`${method}: packageNames must be a list of strings`);
  if (names.length > MAX_PACKAGE_NAME_FILTER) throw new RangeError(`${method}: at most ${MAX_PACKAGE_NAME_FILTER} packageNames, not ${names.length}`);
  return [...new Set([...names.map(foldPackageName), NON_ASCII_KEY])];
}

/**
 * SQL: the package row `alias` passes the names in parameter `param` (text[]: folded names and
 * NON_ASCII_KEY; NULL: every package passes): an overlap with its stored name_keys. A row
 * without name_keys (written by something other than the ResultWriter) passes: a superset.
 */
function namesPass(alias: string, param: string): string {
  return `(${param}::text[] IS NULL OR ${alias}.name_keys IS NULL OR ${alias}.name_keys && ${param}::text[])`;
}

/** In name_keys when the name or source name holds a non-ASCII character: passes every filter. */
const NON_ASCII_KEY = '';

/** A character past U+007F (a UTF-8 string whose bytes outnumber its characters, as the migration tests it). */
function hasNonAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return true;
  return false;
}

/**
 * `package.name_keys` of a package: its name and source name folded (foldPackageName), and
 * NON_ASCII_KEY when either holds a non-ASCII character (ASCII-only folding cannot promise the
 * superset for those). Migration RematchPartialReportsNameKeys fills older rows the same way.
 */
export function packageNameKeys(name: string, sourceName?: string | null): string[] {
  const keys = new Set([foldPackageName(name)]);
  if (sourceName) keys.add(foldPackageName(sourceName));
  if (hasNonAscii(name) || (sourceName && hasNonAscii(sourceName))) keys.add(NON_ASCII_KEY);
  return [...keys].sort();
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
