import { packageId, uniqueDependencies, type LockDependency, type LockPackage, type ParsedLockfile } from './lock-package';

/*
 * yarn.lock, classic (v1) and berry (v2+), read block by block as Trivy's yarn parser does.
 * Why not @yarnpkg/lockfile or @yarnpkg/parsers: neither gives line numbers (findings name the
 * line of the package), @yarnpkg/lockfile reads only v1, and both reject a whole file for one
 * entry with an unknown protocol (`asap@unsupported:~2.0.6:`), where Trivy skips that entry and
 * keeps the rest. Both formats share the block structure this reader relies on: entries are
 * separated by blank lines, the first line lists the entry's patterns, `version` gives the
 * resolved version and `dependencies:` the entry's dependency patterns.
 *
 * Only npm packages are reported: entries resolved by another protocol (workspace:, file:,
 * link:, patch:, git…) are not registry packages and have no advisories by name and version.
 */

const PATTERN = /^\s?\\?"?(\S+?)@(?:(\S+?):)?(.+?)\\?"?:?$/;
const VERSION = /^"?version:?"?\s+"?([^"]+)"?/;
const DEPENDENCY = /\s{4,}"?(.+?)"?:?\s"?(?:(\S+?):)?([^"]+)"?/;
/** Protocols of entries that are not registry packages, skipped silently. */
const NON_REGISTRY = new Set(['workspace', 'patch', 'file', 'link', 'portal', 'github', 'git', 'git+ssh', 'git+http', 'git+https', 'git+file']);

const isRegistryProtocol = (protocol: string): boolean => protocol === '' || protocol === 'npm';

export interface YarnLockfile extends ParsedLockfile {
  /** Each package id's patterns (`ajv@^6.5.5`), to match package.json ranges against. */
  patterns: Map<string, string[]>;
  /** Entries skipped for an unknown protocol, with their line. */
  warnings: string[];
}

export function parseYarnPattern(target: string): { name: string; protocol: string; version: string } | undefined {
  const match = PATTERN.exec(target);
  return match ? { name: match[1] as string, protocol: match[2] ?? '', version: match[3] as string } : undefined;
}

interface Block {
  name: string;
  version: string;
  patterns: string[];
  dependencies: string[];
  startLine: number;
  endLine: number;
}

export function parseYarnLock(text: string, where = 'yarn.lock'): YarnLockfile {
  const lines = text.split(/\r?\n/);
  const warnings: string[] = [];
  const blocks: Block[] = [];
  let i = 0;
  while (i < lines.length) {
    // A block runs to the next blank line; leading blank lines belong to no entry.
    while (i < lines.length && lines[i] === '') i++;
    const start = i;
    while (i < lines.length && lines[i] !== '') i++;
    if (start === i) break;
    const block = parseBlock(lines, start, i, where, warnings);
    if (block) blocks.push(block);
  }

  const patternIds = new Map<string, string>();
  const patterns = new Map<string, string[]>();
  const byId = new Map<string, LockPackage>();
  for (const block of blocks) {
    const id = packageId(block.name, block.version);
    for (const pattern of block.patterns) patternIds.set(pattern, id);
    patterns.set(id, [...(patterns.get(id) ?? []), ...block.patterns]);
    const location = { startLine: block.startLine, endLine: block.endLine };
    const saved = byId.get(id);
    if (saved) saved.locations = [...(saved.locations ?? []), location];
    else byId.set(id, { id, name: block.name, version: block.version, dev: false, relationship: 'unknown', locations: [location] });
  }
  const dependencies: LockDependency[] = blocks.map((block) => ({
    id: packageId(block.name, block.version),
    dependsOn: block.dependencies.flatMap((pattern) => patternIds.get(pattern) ?? []),
  }));
  const packages = [...byId.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { packages, dependencies: uniqueDependencies(dependencies), patterns, warnings };
}

function parseBlock(lines: readonly string[], start: number, end: number, where: string, warnings: string[]): Block | undefined {
  let name = '';
  let version = '';
  let patterns: string[] = [];
  let dependencies: string[] = [];
  for (let i = start; i < end; i++) {
    const raw = lines[i] as string;
    if (raw.startsWith('#')) continue;
    // berry's lockfile metadata (format version, cache key) is no package.
    if (raw.startsWith('__metadata')) return undefined;
    const line = raw.trim().replace(/^"/, '');
    if (line.startsWith('version')) {
      const match = VERSION.exec(line);
      if (!match) return undefined;
      version = match[1] as string;
      continue;
    }
    if (line.startsWith('dependencies:')) {
      dependencies = [];
      // Dependency lines follow, indented deeper than the entry's fields.
      for (i++; i < end; i++) {
        const dep = parseYarnDependency(lines[i] as string);
        if (!dep) break;
        if (isRegistryProtocol(dep.protocol)) dependencies.push(packageId(dep.name, dep.version));
      }
      i--;
      continue;
    }
    const entry = parseEntryPatterns(line);
    if (!entry) continue;
    if (!isRegistryProtocol(entry.protocol)) {
      if (!NON_REGISTRY.has(entry.protocol)) warnings.push(`${where}:${i + 1}: unknown protocol ${JSON.stringify(entry.protocol)} in ${JSON.stringify(line)}: entry skipped`);
      return undefined;
    }
    name = entry.name;
    patterns = entry.patterns;
  }
  if (!name) return undefined;
  let startLine = start;
  while (startLine < end && (lines[startLine] as string).startsWith('#')) startLine++;
  return { name, version, patterns, dependencies, startLine: startLine + 1, endLine: end };
}

/** A dependency line of an entry: `    chalk "^2.0.1"` (v1), `    ms: "npm:2.1.2"` (berry). */
export function parseYarnDependency(line: string): { name: string; protocol: string; version: string } | undefined {
  const dep = DEPENDENCY.exec(line);
  return dep ? { name: dep[1] as string, protocol: dep[2] ?? '', version: dep[3] as string } : undefined;
}

/** `"a@^1.0.0", "a@^1.2.0":` → name a, patterns a@^1.0.0 and a@^1.2.0 (protocols dropped). */
export function parseEntryPatterns(line: string): { name: string; protocol: string; patterns: string[] } | undefined {
  const parts = line.split(', ');
  const first = parseYarnPattern(parts[0] as string);
  if (!first) return undefined;
  return { name: first.name, protocol: first.protocol, patterns: parts.map((part) => packageId(first.name, parseYarnPattern(part)?.version ?? '')) };
}
