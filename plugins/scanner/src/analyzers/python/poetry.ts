import { BadInputError } from '@bulkhead/plugin-sdk';
import { uniqueDependencies, type LockDependency } from '../node/lock-package';
import { normalizePythonName } from './pep440';
import type { ParsedPythonLockfile, PythonPackage } from './python-package';
import { parseToml, tableArray } from './toml';

/*
 * poetry.lock (lock format 1.x and 2.x) with Trivy's semantics: every [[package]] is reported,
 * `dev` when it belongs only to dev groups (1.x: `category = "dev"`; 2.x: `groups` without
 * "main"). Dependency edges are resolved by PEP 503 name against the locked packages except
 * those of `category = "dev"` (Trivy's version map leaves those out, so in a 1.x lockfile no edge
 * reaches a dev package; 2.x lockfiles have no category and every edge resolves); when poetry
 * locked several versions of one name, the one an `==` constraint pins is taken, else the first.
 */
export function parsePoetryLock(text: string, where = 'poetry.lock'): ParsedPythonLockfile {
  const lock = parseToml(text, where);
  const entries = tableArray(lock['package'], `${where}: package`);
  const isDev = (entry: Record<string, unknown>): boolean => {
    const groups = entry['groups'];
    if (Array.isArray(groups)) return !groups.includes('main');
    return entry['category'] === 'dev';
  };

  // Edge targets by PEP 503 name: dependencies name packages by their requirement spelling.
  const installed = new Map<string, { name: string; version: string }[]>();
  for (const entry of entries) {
    if (entry['category'] === 'dev' || typeof entry['name'] !== 'string' || typeof entry['version'] !== 'string') continue;
    const key = normalizePythonName(entry['name']);
    installed.set(key, [...(installed.get(key) ?? []), { name: entry['name'], version: entry['version'] }]);
  }

  const packages: PythonPackage[] = [];
  const dependencies: LockDependency[] = [];
  for (const [index, entry] of entries.entries()) {
    const { name, version } = entry;
    if (typeof name !== 'string' || typeof version !== 'string') throw new BadInputError(`${where}: package ${index + 1} has no name or version`);
    const id = `${name}@${version}`;
    packages.push({ id, name, version, dev: isDev(entry), relationship: 'unknown' });
    const declared = entry['dependencies'];
    if (declared === null || typeof declared !== 'object') continue;
    const dependsOn: string[] = [];
    for (const [depName, constraint] of Object.entries(declared as Record<string, unknown>)) {
      const candidates = installed.get(normalizePythonName(depName)) ?? [];
      const pinned = pinnedBy(constraint);
      const chosen = candidates.find((c) => c.version === pinned) ?? candidates[0];
      if (chosen) dependsOn.push(`${chosen.name}@${chosen.version}`);
    }
    if (dependsOn.length) dependencies.push({ id, dependsOn });
  }
  return { packages, dependencies: uniqueDependencies(dependencies) };
}

/** The version an `==x` constraint (string, {version}, or a list of them) pins, if any. */
function pinnedBy(constraint: unknown): string | undefined {
  const text = typeof constraint === 'string' ? constraint : Array.isArray(constraint) ? undefined : (constraint as { version?: unknown } | null)?.version;
  const match = typeof text === 'string' ? /^\s*==\s*([^\s,]+)\s*$/.exec(text) : null;
  return match?.[1];
}
