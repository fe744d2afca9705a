import { isPep440Version, isValidDistributionName } from './pep440';
import type { PythonPackage } from './python-package';

/*
 * pip requirements files, as Trivy reads them: a requirement counts when it pins one version with
 * `==` (no `.*` wildcard), after extras (`[crypto]`), environment markers (`; python_version<…`),
 * comments and `--hash` options are removed. Other lines (ranges, URLs, `-r`, `-e`, options) name
 * no installed version and are skipped. With `useMinVersion` (Trivy's comprehensive detection
 * priority) a lower bound (`>=`, `~=`, `==1.2.*`) stands in for the version.
 */

export interface RequirementsOptions {
  useMinVersion?: boolean;
}

/** Decodes UTF-16 files (Windows editors write them, with a BOM) and UTF-8 ones. */
export function decodeText(content: Buffer): string {
  if (content[0] === 0xff && content[1] === 0xfe) return content.subarray(2).toString('utf16le');
  if (content[0] === 0xfe && content[1] === 0xff) {
    const swapped = Buffer.from(content.subarray(2));
    swapped.swap16();
    return swapped.toString('utf16le');
  }
  const text = content.toString('utf8');
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

export function parseRequirements(content: Buffer | string, options: RequirementsOptions = {}): PythonPackage[] {
  const text = typeof content === 'string' ? content : decodeText(content);
  const packages: PythonPackage[] = [];
  text.split('\n').forEach((raw, index) => {
    let line = raw.replace(/\r$/, '').replace(/[ \t]/g, '').replace(/\\/g, '');
    line = line.replace(/\[[^\]]*\]/g, '');
    for (const marker of ['#', ';', '--']) {
      const at = line.indexOf(marker);
      if (at >= 0) line = line.slice(0, at);
    }
    const pinned = pinnedVersion(line, options.useMinVersion === true);
    if (!pinned) return;
    const [name, version] = pinned;
    if (!isValidDistributionName(name) || !isPep440Version(version)) return;
    packages.push({ id: `${name}@${version}`, name, version, dev: false, relationship: 'unknown', locations: [{ startLine: index + 1, endLine: index + 1 }] });
  });
  return packages;
}

/** [name, version] of a requirement line (already stripped of spaces, extras, markers). */
function pinnedVersion(line: string, useMinVersion: boolean): [string, string] | undefined {
  const nameMatch = /^[^=<>!~,]+/.exec(line);
  if (!nameMatch) return undefined;
  const name = nameMatch[0];
  const specifiers = line.slice(name.length).split(',').filter(Boolean);
  if (specifiers.length === 0) return undefined;
  if (!useMinVersion) {
    const exact = specifiers.length === 1 && /^==([^=].*)$/.exec(specifiers[0] as string);
    if (!exact || (exact[1] as string).includes('*')) return undefined;
    return [name, exact[1] as string];
  }
  // Lower bound: >= or ~= first, else an == pin whose only wildcard is a last `.*` (1.2.* → 1.2.0).
  for (const spec of specifiers) {
    const bound = /^(?:>=|~=)(.+)$/.exec(spec);
    if (bound) return [name, bound[1] as string];
  }
  for (const spec of specifiers) {
    const exact = /^==([^=].*)$/.exec(spec);
    if (!exact) continue;
    const version = exact[1] as string;
    if (!version.includes('*')) return [name, version];
    if (/^[^*]+\.\*$/.test(version)) return [name, `${version.slice(0, -2)}.0`];
  }
  return undefined;
}
