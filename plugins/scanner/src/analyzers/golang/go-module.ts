import type { AnalyzerFile, PackageResult } from '@bulkhead/plugin-sdk';
import { packageUrl } from '../purl';

/** How a package relates to the project or binary it was found in (Trivy's relationships). */
export type Relationship = 'root' | 'direct' | 'indirect' | 'unknown';

/** A Go module as a go.mod, go.sum or binary's build info names it. */
export interface GoModule {
  /** `path@version`, or the bare path for a module without a version (Trivy's package id). */
  id: string;
  /** Module path (`github.com/foo/bar`), or `stdlib` for the Go standard library. */
  name: string;
  /** `v1.2.3`, `v0.0.0-2024…-abcdef`; empty when unknown (a `(devel)` main module). */
  version: string;
  relationship?: Relationship;
  /** Ids of the modules this one depends on (the main module's direct requirements). */
  dependsOn?: string[];
  /** The module's source repository, where its path tells (go.mod modules only, as Trivy). */
  vcsUrl?: string;
}

/**
 * The repository URL a module path implies (Trivy's rule): `github.com/o/r[/vN]` →
 * `https://github.com/o/r`; `gopkg.in/o/p.vN` → `https://github.com/o/p`;
 * `gopkg.in/p.vN` → `https://github.com/go-p/p`.
 */
export function goVcsUrl(path: string): string | undefined {
  if (path.startsWith('github.com/')) return `https://${path.replace(/\/v\d+$/, '')}`;
  const withUser = /^gopkg\.in\/([^/]+)\/([^.]+)\..*$/.exec(path);
  if (withUser) return `https://github.com/${withUser[1]}/${withUser[2]}`;
  const withoutUser = /^gopkg\.in\/([^.]+)\..*$/.exec(path);
  return withoutUser ? `https://github.com/go-${withoutUser[1]}/${withoutUser[1]}` : undefined;
}

export function goModuleId(path: string, version: string): string {
  return version ? `${path}@${version}` : path;
}

/**
 * The Go purl (`pkg:golang/github.com/foo/bar@v1.2.3`): namespace is the module path up to its
 * last `/`. Versions keep their `v` as Go writes them; `stdlib` stays `stdlib` (the name OSV's Go
 * ecosystem uses for the standard library).
 */
export function goPurl(name: string, version: string): string {
  const slash = name.lastIndexOf('/');
  return slash < 0 ? packageUrl('golang', undefined, name, version) : packageUrl('golang', name.slice(0, slash), name.slice(slash + 1), version);
}

/**
 * A PackageResult per module that has a version: a main module without one (`(devel)`, a
 * go.mod's own module) identifies nothing an advisory could name, so it is not inventoried.
 */
export function goPackageResults(modules: readonly GoModule[], file: AnalyzerFile, source: 'go.mod' | 'binary'): PackageResult[] {
  return modules
    .filter((m) => m.version !== '')
    .map((m) => ({
      type: 'golang',
      name: m.name,
      version: m.version,
      purl: goPurl(m.name, m.version),
      path: file.path,
      ...(file.layer ? { layer: file.layer } : {}),
      metadata: { source, ...(m.relationship ? { relationship: m.relationship } : {}), ...(m.vcsUrl ? { vcsUrl: m.vcsUrl } : {}) },
    }));
}
