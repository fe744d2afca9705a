import { BadInputError } from '@bulkhead/plugin-sdk';
import semver from 'semver';
import { parseAllDocuments } from 'yaml';
import { packageId, uniqueDependencies, type LockDependency, type LockPackage, type ParsedLockfile } from './lock-package';

/*
 * pnpm-lock.yaml, lockfile versions 5 to 9, with Trivy's semantics (its tests pin them down):
 * - v5/v6: `packages` keyed by dependency path (`/name/1.0.0_peer` in v5, `/name@1.0.0(peer)` in
 *   v6); packages marked `dev: true` are left out; direct = named in the root `dependencies`.
 * - v9: `importers` (workspace projects) name direct dependencies, `snapshots` hold the resolved
 *   graph keyed by `name@version(peers)`, which is the package id; `packages` carry the real
 *   version of tarball and file dependencies. Dev = reachable only from devDependencies.
 * pnpm 11 may write two YAML documents: first the "env" lockfile of pnpm's own
 * packageManagerDependencies, then the project's; the project's is the last one.
 */

interface PackageInfo {
  name?: string;
  version?: string;
  dev?: boolean;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

interface ImporterDependency {
  version?: string;
}

interface Importer {
  dependencies?: Record<string, ImporterDependency | string>;
  optionalDependencies?: Record<string, ImporterDependency | string>;
  devDependencies?: Record<string, ImporterDependency | string>;
}

interface Lockfile {
  lockfileVersion?: unknown;
  dependencies?: Record<string, unknown>;
  importers?: Record<string, Importer>;
  packages?: Record<string, PackageInfo | null>;
  snapshots?: Record<string, PackageInfo | null>;
}

export function parsePnpmLock(text: string, where = 'pnpm-lock.yaml'): ParsedLockfile {
  const documents = parseAllDocuments(text);
  const list = Array.isArray(documents) ? documents : [documents];
  const project = list[list.length - 1];
  if (!project) return { packages: [], dependencies: [] };
  const error = project.errors[0];
  if (error) throw new BadInputError(`${where}:${error.linePos?.[0]?.line ?? '?'}: invalid YAML: ${error.message.split('\n')[0]}`);
  let lock: Lockfile | null;
  try {
    lock = project.toJS({ maxAliasCount: 100 }) as Lockfile | null;
  } catch (cause) {
    // The yaml library refuses alias expansion past maxAliasCount ("billion laughs").
    throw new BadInputError(`${where}: ${(cause as Error).message}`, { cause });
  }
  if (lock === null || typeof lock !== 'object') return { packages: [], dependencies: [] };
  const version = Number.parseFloat(String(lock.lockfileVersion));
  if (Number.isNaN(version)) throw new BadInputError(`${where}: lockfileVersion ${JSON.stringify(lock.lockfileVersion)} is not a number`);
  return version >= 9 ? parseV9(lock) : parseV5V6(lock, version);
}

function parseV5V6(lock: Lockfile, version: number): ParsedLockfile {
  const separator = version < 6 ? '/' : '@';
  const direct = new Set(Object.keys(lock.dependencies ?? {}));
  const packages: LockPackage[] = [];
  const dependencies: LockDependency[] = [];
  for (const [depPath, info] of Object.entries(lock.packages ?? {})) {
    if (info?.dev === true) continue;
    const parsed = info?.name ? { name: info.name, version: info.version ?? '' } : parseDepPath(depPath, separator);
    if (!parsed) continue;
    const id = packageId(parsed.name, parsed.version);
    packages.push({ id, name: parsed.name, version: parsed.version, dev: false, relationship: direct.has(parsed.name) ? 'direct' : 'indirect' });
    const dependsOn = Object.entries(info?.dependencies ?? {}).map(([name, ref]) => packageId(name, String(ref).split(/[_(]/)[0] as string));
    if (dependsOn.length) dependencies.push({ id, dependsOn });
  }
  return { packages, dependencies: uniqueDependencies(dependencies) };
}

/**
 * pnpm's dependency path to name and version (pnpm dependency-path parse): the registry prefix
 * and leading slash dropped, the scope kept, peer suffixes (`_peer` in v5, `(peer)` in v6)
 * trimmed; undefined when what is left is not a semver version (a tarball or git path).
 */
export function parseDepPath(depPath: string, separator: '/' | '@'): { name: string; version: string } | undefined {
  const slash = depPath.indexOf('/');
  let rest = slash < 0 ? '' : depPath.slice(slash + 1);
  let scope = '';
  if (rest.startsWith('@')) {
    const scopeEnd = rest.indexOf('/');
    if (scopeEnd < 0) return undefined;
    scope = rest.slice(0, scopeEnd);
    rest = rest.slice(scopeEnd + 1);
  }
  const at = rest.indexOf(separator);
  const name = at < 0 ? rest : rest.slice(0, at);
  let version = at < 0 ? '' : rest.slice(at + 1);
  const peers = version.search(/[_(]/);
  if (peers >= 0) version = version.slice(0, peers);
  if (!name || semver.valid(version) === null) return undefined;
  return { name: scope ? `${scope}/${name}` : name, version };
}

/**
 * A package key to name and version: v5/v6 dependency paths (see parseDepPath); v9 keys are
 * `name@reference(peers)`, the reference a version, a tarball URL or a `file:` path.
 */
export function parsePnpmKey(key: string, lockfileVersion: number): { name: string; version: string } | undefined {
  if (lockfileVersion < 9) return parseDepPath(key, lockfileVersion < 6 ? '/' : '@');
  const peers = key.indexOf('(');
  const base = peers < 0 ? key : key.slice(0, peers);
  const at = base.indexOf('@', 1);
  return at < 0 ? undefined : { name: base.slice(0, at), version: base.slice(at + 1) };
}

/** The version a reference names: itself when it is a semver version, none for URLs and paths. */
export function pnpmVersion(reference: string): string {
  return semver.valid(reference) !== null ? reference : '';
}

function importerVersion(value: ImporterDependency | string): string {
  return typeof value === 'string' ? value : String(value?.version ?? '');
}

function parseV9(lock: Lockfile): ParsedLockfile {
  const snapshots = lock.snapshots ?? {};
  const prodRoots: string[] = [];
  const devRoots: string[] = [];
  for (const importer of Object.values(lock.importers ?? {})) {
    if (importer === null || typeof importer !== 'object') continue;
    for (const [name, ref] of Object.entries({ ...importer.dependencies, ...importer.optionalDependencies })) prodRoots.push(packageId(name, importerVersion(ref)));
    for (const [name, ref] of Object.entries(importer.devDependencies ?? {})) devRoots.push(packageId(name, importerVersion(ref)));
  }

  const edges = new Map<string, string[]>();
  for (const [key, info] of Object.entries(snapshots)) {
    // Only edges to packages of this lockfile (optional peers that were not installed are absent).
    const dependsOn = Object.entries({ ...info?.dependencies, ...info?.optionalDependencies })
      .map(([name, ref]) => packageId(name, String(ref)))
      .filter((id) => id in snapshots);
    edges.set(key, dependsOn);
  }
  const reach = (roots: readonly string[]): Set<string> => {
    const seen = new Set<string>();
    const stack = roots.filter((id) => edges.has(id));
    while (stack.length) {
      const id = stack.pop() as string;
      if (seen.has(id)) continue;
      seen.add(id);
      stack.push(...(edges.get(id) ?? []));
    }
    return seen;
  };
  const prod = reach(prodRoots);
  const dev = reach(devRoots);
  const direct = new Set([...prodRoots, ...devRoots]);

  const packages: LockPackage[] = [];
  const dependencies: LockDependency[] = [];
  for (const key of Object.keys(snapshots)) {
    const { name, version: reference } = parsePnpmKey(key, 9) ?? { name: key, version: '' };
    const base = `${name}@${reference}`;
    const version = lock.packages?.[base]?.version ?? pnpmVersion(reference);
    packages.push({ id: key, name, version, dev: !prod.has(key) && dev.has(key), relationship: direct.has(key) ? 'direct' : 'indirect' });
    const dependsOn = edges.get(key) ?? [];
    if (dependsOn.length) dependencies.push({ id: key, dependsOn });
  }
  return { packages, dependencies: uniqueDependencies(dependencies) };
}
