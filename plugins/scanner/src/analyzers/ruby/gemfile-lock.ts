import type { AnalyzerFile, PackageResult } from '@bulkhead/plugin-sdk';
import type { Relationship } from '../golang/go-module';
import { packageUrl } from '../purl';

/** A gem locked in a Gemfile.lock. */
export interface Gem {
  /** `name@version` (Trivy's id). */
  id: string;
  name: string;
  version: string;
  /** Platform of a platform-specific gem (`x86_64-linux` of `nokogiri (1.16.0-x86_64-linux)`). */
  platform?: string;
  relationship: Relationship;
  dependsOn?: string[];
  line: number;
}

/** `    name (version[-platform])` under a `specs:` block. */
const SPEC = /^ {4}([^\s(]+) \(([^)\s]+)\)\s*$/;
/** `      name (requirement)` or `      name`: a dependency of the spec above. */
const SPEC_DEPENDENCY = /^ {6}([^\s(]+)/;
/** `  name (requirement)` or `  name!` under DEPENDENCIES. */
const DIRECT = /^ {2}([^\s(!]+)!?/;

/**
 * Parses a Gemfile.lock as Trivy's bundler parser does: every gem of the `specs:` blocks
 * (GEM, GIT, PATH sources) with its line; `direct` when the DEPENDENCIES section names it,
 * `indirect` otherwise; each gem's dependencies resolved to the locked versions. A platform
 * suffix is split off the version (gem versions never contain `-`). Text that is not a lockfile
 * gives no gems (Trivy reports none and no error for its malformed fixture).
 */
export function parseGemfileLock(text: string): Gem[] {
  const gems: (Omit<Gem, 'relationship' | 'dependsOn'> & { requires: string[] })[] = [];
  const direct = new Set<string>();
  let section = '';
  let inSpecs = false;
  text.split('\n').forEach((raw, index) => {
    const line = raw.replace(/\r$/, '');
    if (line === '') return;
    if (!line.startsWith(' ')) {
      section = line.trim();
      inSpecs = false;
      return;
    }
    if (section === 'DEPENDENCIES') {
      const name = DIRECT.exec(line)?.[1];
      if (name) direct.add(name);
      return;
    }
    if (line.trim() === 'specs:') {
      inSpecs = true;
      return;
    }
    if (!inSpecs) return;
    const spec = SPEC.exec(line);
    if (spec) {
      const [name = '', full = ''] = [spec[1], spec[2]];
      const dash = full.indexOf('-');
      const version = dash < 0 ? full : full.slice(0, dash);
      gems.push({ id: `${name}@${version}`, name, version, ...(dash < 0 ? {} : { platform: full.slice(dash + 1) }), line: index + 1, requires: [] });
      return;
    }
    const dependency = SPEC_DEPENDENCY.exec(line)?.[1];
    if (dependency) gems.at(-1)?.requires.push(dependency);
  });
  const idByName = new Map(gems.map((g) => [g.name, g.id]));
  const seen = new Set<string>();
  return gems.flatMap(({ requires, ...gem }) => {
    // The same gem for two platforms is one package version.
    if (seen.has(gem.id)) return [];
    seen.add(gem.id);
    const dependsOn = [...new Set(requires.flatMap((name) => idByName.get(name) ?? []))].sort();
    return [{ ...gem, relationship: direct.has(gem.name) ? 'direct' : 'indirect', ...(dependsOn.length > 0 ? { dependsOn } : {}) }];
  });
}

export function gemPackageResults(gems: readonly Gem[], file: AnalyzerFile): PackageResult[] {
  return gems.map((g) => ({
    type: 'gem',
    name: g.name,
    version: g.version,
    purl: packageUrl('gem', undefined, g.name, g.version, { platform: g.platform }),
    path: file.path,
    ...(file.layer ? { layer: file.layer } : {}),
    metadata: { relationship: g.relationship, line: g.line, ...(g.platform ? { platform: g.platform } : {}) },
  }));
}
