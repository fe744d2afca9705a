import { BadInputError } from '@bulkhead/plugin-sdk';
import { objectLines, parseJson } from './json-lines';
import { npmLicenses } from './licenses';
import { compareLocations, packageId, uniqueDependencies, type LockDependency, type LockPackage, type Location, type ParsedLockfile } from './lock-package';
import { workspacePatterns } from './package-json';

/*
 * npm's package-lock.json. Version 1 nests `dependencies`; versions 2 and 3 list every installed
 * folder under `packages` keyed by its path (`node_modules/a/node_modules/b`), the root project
 * under "". Semantics follow Trivy's npm parser (pkg/dependency/parser/nodejs/npm), which its
 * test expectations pin down: workspace links resolved, direct = a root dependency installed at
 * the top level, a package installed at several paths reported once with all its locations.
 */

const NODE_MODULES = 'node_modules';

interface V2Package {
  name?: string;
  version?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  resolved?: string;
  dev?: boolean;
  link?: boolean;
  license?: unknown;
  workspaces?: unknown;
}

interface V1Dependency {
  version?: string;
  dev?: boolean;
  dependencies?: Record<string, V1Dependency>;
  requires?: Record<string, string>;
  resolved?: string;
}

export function parsePackageLock(text: string, where = 'package-lock.json'): ParsedLockfile {
  const lock = parseJson(text, where);
  if (lock === null || typeof lock !== 'object' || Array.isArray(lock)) throw new BadInputError(`${where}: not a package-lock.json (top level is not an object)`);
  const { lockfileVersion, packages, dependencies } = lock as { lockfileVersion?: unknown; packages?: unknown; dependencies?: unknown };
  if (lockfileVersion === 1) {
    const lines = objectLines(text, where, (path) => (path.length >= 2 && path.length % 2 === 0 && path.every((p, i) => (i % 2 === 0 ? p === 'dependencies' : typeof p === 'string')) ? path.join('\u0000') : undefined));
    const result = parseV1(asRecord<V1Dependency>(dependencies, `${where}: dependencies`), new Map(), ['dependencies'], lines);
    return { packages: mergeById(result.packages), dependencies: uniqueDependencies(result.dependencies) };
  }
  if (lockfileVersion !== 2 && lockfileVersion !== 3) throw new BadInputError(`${where}: unsupported lockfileVersion ${JSON.stringify(lockfileVersion)} (1, 2 and 3 are known)`);
  const lines = objectLines(text, where, (path) => (path.length === 2 && path[0] === 'packages' && typeof path[1] === 'string' ? path[1] : undefined));
  return parseV2(asRecord<V2Package>(packages, `${where}: packages`), lines, where);
}

function asRecord<T>(value: unknown, what: string): Record<string, T> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new BadInputError(`${what} is not an object`);
  return value as Record<string, T>;
}

function parseV2(input: Record<string, V2Package>, lines: Map<string, Location>, where: string): ParsedLockfile {
  const packages = new Map<string, V2Package & { location?: Location }>();
  for (const [path, pkg] of Object.entries(input)) {
    if (pkg === null || typeof pkg !== 'object') throw new BadInputError(`${where}: packages[${JSON.stringify(path)}] is not an object`);
    packages.set(path, { ...pkg, location: lines.get(path) });
  }
  resolveLinks(packages);

  const root = packages.get('') ?? {};
  const direct = new Set<string>();
  for (const name of Object.keys({ ...root.dependencies, ...root.optionalDependencies, ...root.devDependencies, ...root.peerDependencies })) {
    const path = `${NODE_MODULES}/${name}`;
    if (packages.has(path)) direct.add(path);
  }

  const byId = new Map<string, LockPackage>();
  const dependencies: LockDependency[] = [];
  for (const [path, pkg] of packages) {
    if (!path.startsWith(NODE_MODULES)) continue;
    const name = pkg.name || nameFromPath(path);
    const version = pkg.version ?? '';
    const id = packageId(name, version);
    const indirect = !direct.has(path);
    const saved = byId.get(id);
    if (saved) {
      saved.dev = saved.dev && pkg.dev === true;
      if (saved.relationship === 'indirect' && !indirect) saved.relationship = 'direct';
      if (pkg.resolved && !saved.resolved?.includes(pkg.resolved)) saved.resolved = [...(saved.resolved ?? []), pkg.resolved].sort();
      if (pkg.location) saved.locations = [...(saved.locations ?? []), pkg.location].sort(compareLocations);
      continue;
    }
    const licenses = npmLicenses(pkg.license);
    byId.set(id, {
      id,
      name,
      version,
      dev: pkg.dev === true,
      relationship: indirect ? 'indirect' : 'direct',
      ...(licenses.length ? { licenses } : {}),
      ...(pkg.location ? { locations: [pkg.location] } : {}),
      ...(pkg.resolved ? { resolved: [pkg.resolved] } : {}),
    });
    // npm builds its tree from optional and peer dependencies too.
    const dependsOn: string[] = [];
    for (const depName of Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies, ...pkg.peerDependencies })) {
      const depId = findDependsOn(path, depName, packages);
      if (depId) dependsOn.push(depId);
    }
    if (dependsOn.length) dependencies.push({ id, dependsOn });
  }
  return { packages: [...byId.values()], dependencies: uniqueDependencies(dependencies) };
}

/**
 * Workspaces and local packages appear twice: the folder (`functions/func1`) and a link
 * `node_modules/func1` → `resolved: functions/func1`. The folder's entries are moved under the
 * link's path so that every package lives under node_modules; workspace members become root
 * dependencies. A link without `resolved` is dropped (it would make an empty package).
 */
function resolveLinks(packages: Map<string, V2Package & { location?: Location }>): void {
  const links = new Map<string, string>();
  for (const [path, pkg] of packages) {
    if (!pkg.link) continue;
    if (!pkg.resolved) packages.delete(path);
    else links.set(path, pkg.resolved);
  }
  if (links.size === 0) return;
  const root = packages.get('') ?? {};
  const rootDependencies = { ...root.dependencies };
  const workspaces = workspacePatterns(root.workspaces);
  for (const [path, pkg] of [...packages]) {
    for (const [linkPath, target] of links) {
      if (path !== target && !path.startsWith(`${target}/`)) continue;
      const moved = { ...pkg, resolved: pkg.resolved || target };
      packages.delete(path);
      packages.set(linkPath + path.slice(target.length), moved);
      if (workspaces.some((pattern) => globMatch(pattern, path))) rootDependencies[nameFromPath(linkPath)] = pkg.version ?? '';
      break;
    }
  }
  packages.set('', { ...root, dependencies: rootDependencies });
}

/** Node's resolution: the nearest `node_modules/<name>` walking up from the package's folder. */
function findDependsOn(path: string, name: string, packages: Map<string, V2Package>): string | undefined {
  const parts = `${path}/${NODE_MODULES}`.split('/');
  for (let i = parts.length - 1; i >= 0; i--) {
    if (parts[i] !== NODE_MODULES) continue;
    const dep = packages.get(`${parts.slice(0, i + 1).join('/')}/${name}`);
    if (dep) return packageId(name, dep.version ?? '');
  }
  return undefined;
}

function nameFromPath(path: string): string {
  const at = path.lastIndexOf(NODE_MODULES);
  return at < 0 ? path : path.slice(at + NODE_MODULES.length + 1);
}

/** Go's path.Match for workspace patterns: `*` and `?` within one segment, `[...]` classes. */
export function globMatch(pattern: string, path: string): boolean {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === '*') source += '[^/]*';
    else if (c === '?') source += '[^/]';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end < 0) return false;
      const body = pattern.slice(i + 1, end).replace(/^\^/, '!').replace(/\\/g, '\\\\');
      source += `[${body.startsWith('!') ? `^${body.slice(1)}` : body}]`;
      i = end;
    } else source += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`).test(path);
}

/** Lockfile v1: nested `dependencies`; a nested version shadows an outer one of the same name. */
function parseV1(dependencies: Record<string, V1Dependency>, outer: Map<string, string>, path: string[], lines: Map<string, Location>): ParsedLockfile {
  const versions = new Map(outer);
  for (const [name, dep] of Object.entries(dependencies)) versions.set(name, dep?.version ?? '');
  const packages: LockPackage[] = [];
  const edges: LockDependency[] = [];
  for (const [name, dep] of Object.entries(dependencies)) {
    if (dep === null || typeof dep !== 'object') continue;
    const version = dep.version ?? '';
    const id = packageId(name, version);
    const location = lines.get([...path, name].join('\u0000'));
    packages.push({
      id,
      name,
      version,
      dev: dep.dev === true,
      // Lockfile v1 does not say which dependencies are direct.
      relationship: 'unknown',
      ...(location ? { locations: [location] } : {}),
      ...(dep.resolved ? { resolved: [dep.resolved] } : {}),
    });
    const dependsOn: string[] = [];
    for (const required of Object.keys(dep.requires ?? {})) {
      const nested = dep.dependencies?.[required];
      if (nested) dependsOn.push(packageId(required, nested.version ?? ''));
      else if (versions.has(required)) dependsOn.push(packageId(required, versions.get(required) ?? ''));
    }
    if (dependsOn.length) edges.push({ id, dependsOn });
    if (dep.dependencies) {
      const child = parseV1(dep.dependencies, versions, [...path, name, 'dependencies'], lines);
      packages.push(...child.packages);
      edges.push(...child.dependencies);
    }
  }
  return { packages, dependencies: edges };
}

/** One package per id, its locations merged (Trivy's UniquePackages). */
function mergeById(packages: LockPackage[]): LockPackage[] {
  const byId = new Map<string, LockPackage>();
  for (const pkg of packages) {
    const saved = byId.get(pkg.id);
    if (!saved) {
      byId.set(pkg.id, { ...pkg });
      continue;
    }
    saved.dev = saved.dev && pkg.dev;
    if (pkg.locations) saved.locations = [...(saved.locations ?? []), ...pkg.locations].sort(compareLocations);
    for (const url of pkg.resolved ?? []) if (!saved.resolved?.includes(url)) saved.resolved = [...(saved.resolved ?? []), url].sort();
  }
  return [...byId.values()];
}
