import { BadInputError } from '@bulkhead/plugin-sdk';
import { uniqueDependencies, type LockDependency } from '../node/lock-package';
import { normalizePythonName } from './pep440';
import type { ParsedPythonLockfile, PythonPackage } from './python-package';
import { parseToml, tableArray } from './toml';

/*
 * uv.lock with Trivy's semantics: exactly one root package (the project: `source = { virtual
 * = "." }` or `{ editable = "." }`); its dependencies, optional dependencies and dev groups are
 * direct; a package's edges are its dependencies plus all its optional-dependency groups (an
 * extra the root asked for, `httpx[socks]`, pulls them in); dev = reachable only from the root's
 * dev groups. Several locked versions of one name are told apart by the edge's `version`.
 */

interface UvDependency {
  name?: unknown;
  version?: unknown;
}

export function parseUvLock(text: string, where = 'uv.lock'): ParsedPythonLockfile {
  const lock = parseToml(text, where);
  const entries = tableArray(lock['package'], `${where}: package`);
  const isRoot = (entry: Record<string, unknown>): boolean => {
    const source = entry['source'] as Record<string, unknown> | undefined;
    return source?.['virtual'] === '.' || source?.['editable'] === '.';
  };
  const roots = entries.filter(isRoot);
  if (roots.length !== 1) throw new BadInputError(`${where}: uv lockfile must contain 1 root package, it has ${roots.length}`);
  const root = roots[0] as Record<string, unknown>;

  const byName = new Map<string, Record<string, unknown>[]>();
  for (const [index, entry] of entries.entries()) {
    if (typeof entry['name'] !== 'string' || typeof entry['version'] !== 'string') throw new BadInputError(`${where}: package ${index + 1} has no name or version`);
    const key = normalizePythonName(entry['name']);
    byName.set(key, [...(byName.get(key) ?? []), entry]);
  }
  const idOf = (entry: Record<string, unknown>): string => `${entry['name'] as string}@${entry['version'] as string}`;
  const resolve = (dep: UvDependency): string | undefined => {
    if (typeof dep?.name !== 'string') return undefined;
    const candidates = byName.get(normalizePythonName(dep.name)) ?? [];
    const entry = typeof dep.version === 'string' ? candidates.find((c) => c['version'] === dep.version) : candidates[0];
    return entry ? idOf(entry) : undefined;
  };
  const groupDeps = (value: unknown): UvDependency[] => (value !== null && typeof value === 'object' ? Object.values(value as Record<string, unknown>).flatMap((group) => (Array.isArray(group) ? (group as UvDependency[]) : [])) : []);
  const listDeps = (value: unknown): UvDependency[] => (Array.isArray(value) ? (value as UvDependency[]) : []);

  const edges = new Map<string, string[]>();
  for (const entry of entries) {
    const deps = [...listDeps(entry['dependencies']), ...groupDeps(entry['optional-dependencies'])];
    edges.set(idOf(entry), deps.flatMap((dep) => resolve(dep) ?? []));
  }
  const rootId = idOf(root);
  const devRoots = groupDeps(root['dev-dependencies']).flatMap((dep) => resolve(dep) ?? []);
  const prodRoots = edges.get(rootId) ?? [];
  edges.set(rootId, [...prodRoots, ...devRoots]);
  const reach = (start: readonly string[]): Set<string> => {
    const seen = new Set<string>();
    const stack = [...start];
    while (stack.length) {
      const id = stack.pop() as string;
      if (seen.has(id)) continue;
      seen.add(id);
      stack.push(...(edges.get(id) ?? []));
    }
    return seen;
  };
  const prod = reach(prodRoots);
  const direct = new Set([...prodRoots, ...devRoots]);

  const packages: PythonPackage[] = entries.map((entry) => {
    const id = idOf(entry);
    const relationship = id === rootId ? 'root' : direct.has(id) ? 'direct' : 'indirect';
    return { id, name: entry['name'] as string, version: entry['version'] as string, dev: id !== rootId && !prod.has(id), relationship };
  });
  const dependencies: LockDependency[] = [...edges].map(([id, dependsOn]) => ({ id, dependsOn }));
  return { packages, dependencies: uniqueDependencies(dependencies) };
}
