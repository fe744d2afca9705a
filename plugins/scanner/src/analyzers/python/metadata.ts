import { BadInputError } from '@bulkhead/plugin-sdk';
import type { PythonPackage } from './python-package';

/*
 * Installed distributions' core metadata (`*.dist-info/METADATA`, `*.egg-info/PKG-INFO`, a
 * `*.egg-info` file): RFC 822 style headers up to the first blank line (the rest is the
 * description), continuation lines starting with whitespace. Licence, as Trivy picks it:
 * `License-Expression` (PEP 639), else the `License :: … :: Name` classifiers, else the
 * `License` field, else `file://<License-File>`.
 */
export function parsePythonMetadata(text: string, where: string): PythonPackage {
  const headers = new Map<string, string[]>();
  let last: string[] | undefined;
  const lines = text.split('\n');
  for (const [index, raw] of lines.entries()) {
    const line = raw.replace(/\r$/, '');
    if (line === '') break;
    if (/^[ \t]/.test(line)) {
      if (last && last.length) last[last.length - 1] += `\n${line.trim()}`;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) throw new BadInputError(`${where}:${index + 1}: malformed metadata header line ${JSON.stringify(line.slice(0, 80))}`);
    const key = line.slice(0, colon).trim().toLowerCase();
    last = headers.get(key) ?? [];
    last.push(line.slice(colon + 1).trim());
    headers.set(key, last);
  }
  const get = (key: string): string => headers.get(key)?.[0] ?? '';
  const name = get('name');
  const version = get('version');
  if (!name || !version) throw new BadInputError(`${where}: metadata without ${name ? 'Version' : 'Name'}`);
  const licenses = pickLicenses(headers);
  return { id: `${name}@${version}`, name, version, dev: false, relationship: 'unknown', ...(licenses.length ? { licenses } : {}) };
}

function pickLicenses(headers: Map<string, string[]>): string[] {
  const expression = headers.get('license-expression')?.[0];
  if (expression) return [expression];
  const classified = (headers.get('classifier') ?? []).flatMap((classifier) => {
    const parts = classifier.split(' :: ');
    // `License :: OSI Approved` alone names no licence.
    return parts[0] === 'License' && parts.length > 2 ? [parts[parts.length - 1] as string] : [];
  });
  if (classified.length) return classified;
  const license = headers.get('license')?.[0];
  if (license) return [license];
  const file = headers.get('license-file')?.[0];
  return file ? [`file://${file}`] : [];
}
