/*
 * What the Node.js lockfile parsers return: the packages of one lockfile with Trivy's dependency
 * graph fields, so that the parsers can be held to Trivy's own test expectations, and the
 * analyzers can decide what to report (dev dependencies excluded, as Trivy does by default).
 */

export type Relationship = 'root' | 'workspace' | 'direct' | 'indirect' | 'unknown';

export interface Location {
  startLine: number;
  endLine: number;
}

export interface LockPackage {
  /** `name@version` (Trivy's package id), or the name alone for a versionless workspace link. */
  id: string;
  name: string;
  version: string;
  /** Only reachable through devDependencies. */
  dev: boolean;
  relationship: Relationship;
  licenses?: string[];
  /** Lines of the package's entry in the lockfile, when the format allows it. */
  locations?: Location[];
  /** Where the package came from (`resolved`), as Trivy's `other` external references. */
  resolved?: string[];
}

export interface LockDependency {
  id: string;
  /** Sorted ids of the packages this one depends on. */
  dependsOn: string[];
}

export interface ParsedLockfile {
  packages: LockPackage[];
  dependencies: LockDependency[];
}

export function packageId(name: string, version: string): string {
  return version ? `${name}@${version}` : name;
}

/** Sorted, deduplicated dependency edges, one entry per id (Trivy's uniqueDeps). */
export function uniqueDependencies(deps: readonly LockDependency[]): LockDependency[] {
  const byKey = new Map<string, LockDependency>();
  for (const dep of deps) {
    const dependsOn = [...new Set(dep.dependsOn)].sort();
    if (dependsOn.length === 0) continue;
    byKey.set(`${dep.id}:${dependsOn.join(',')}`, { id: dep.id, dependsOn });
  }
  return [...byKey.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

export function compareLocations(a: Location, b: Location): number {
  return a.startLine - b.startLine || a.endLine - b.endLine;
}
