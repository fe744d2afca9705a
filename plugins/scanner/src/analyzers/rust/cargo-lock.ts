import { BadInputError } from '@bulkhead/plugin-sdk';
import { parse, TomlError } from 'smol-toml';
import { crateId, type Crate } from './crate';

interface LockPackage {
  name?: unknown;
  version?: unknown;
  dependencies?: unknown;
}

/**
 * Parses a Cargo.lock (v1 to v4) as Trivy does: one crate per `[[package]]` (duplicates of the
 * same name and version kept once), with the lines of its table and the crates it depends on.
 * A dependency is written `name`, `name version` or `name version (source)`; a bare name refers
 * to the only locked version of that crate.
 */
export function parseCargoLock(text: string, file: string): Crate[] {
  let doc: Record<string, unknown>;
  try {
    doc = parse(text) as Record<string, unknown>;
  } catch (error) {
    if (error instanceof TomlError) throw new BadInputError(`${file}:${error.line}:${error.column}: invalid TOML: ${error.message.split('\n')[0] ?? ''}`);
    throw error;
  }
  const packages = doc['package'] ?? [];
  if (!Array.isArray(packages)) throw new BadInputError(`${file}: "package" is not an array of tables`);
  const locations = packageTableLines(text);
  const byName = new Map<string, string[]>();
  const crates = new Map<string, Crate & { rawDeps: string[] }>();
  packages.forEach((raw: LockPackage, index) => {
    const { name, version } = raw;
    if (typeof name !== 'string' || typeof version !== 'string' || name === '' || version === '') {
      throw new BadInputError(`${file}: [[package]] #${index + 1}${locations[index] ? ` (line ${locations[index].startLine})` : ''} has no name or version`);
    }
    const deps = raw.dependencies ?? [];
    if (!Array.isArray(deps) || deps.some((d) => typeof d !== 'string')) throw new BadInputError(`${file}: [[package]] ${name} ${version}: "dependencies" is not a list of strings`);
    const id = crateId(name, version);
    if (crates.has(id)) return;
    byName.set(name, [...(byName.get(name) ?? []), id]);
    crates.set(id, { id, name, version, rawDeps: deps as string[], ...(locations[index] ? { location: locations[index] } : {}) });
  });
  return [...crates.values()].map(({ rawDeps, ...crate }) => {
    const dependsOn = rawDeps.flatMap((dep) => {
      const [name = '', version] = dep.split(' ');
      if (version !== undefined) return crates.has(crateId(name, version)) ? [crateId(name, version)] : [];
      const ids = byName.get(name) ?? [];
      return ids.length === 1 ? ids : [];
    });
    return dependsOn.length > 0 ? { ...crate, dependsOn: [...new Set(dependsOn)].sort() } : crate;
  });
}

/**
 * The first and last line of each `[[package]]` table, in order: from its header to its last
 * line that is neither blank nor a comment before the next table header.
 */
function packageTableLines(text: string): { startLine: number; endLine: number }[] {
  const lines = text.split('\n');
  const out: { startLine: number; endLine: number }[] = [];
  let current: { startLine: number; endLine: number } | undefined;
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (line.startsWith('[')) {
      if (current) out.push(current);
      current = /^\[\[\s*package\s*\]\]/.test(line) ? { startLine: i + 1, endLine: i + 1 } : undefined;
    } else if (current && line !== '' && !line.startsWith('#')) {
      current.endLine = i + 1;
    }
  });
  if (current) out.push(current);
  return out;
}
