import { BadInputError } from '@bulkhead/plugin-sdk';
import { objectLines, parseJson } from '../node/json-lines';
import type { PythonPackage } from './python-package';

/*
 * Pipfile.lock: the `default` section (what `pipenv install --deploy` installs), each package's
 * `version` an `==` pin. The `develop` section holds dev dependencies; like Trivy's parser we do
 * not report them. Packages from VCS or paths have no `version` and are skipped.
 */
export function parsePipfileLock(text: string, where = 'Pipfile.lock'): PythonPackage[] {
  const lock = parseJson(text, where);
  if (lock === null || typeof lock !== 'object' || Array.isArray(lock)) throw new BadInputError(`${where}: not a Pipfile.lock (top level is not an object)`);
  const section = (lock as { default?: unknown }).default;
  if (section === undefined || section === null) return [];
  if (typeof section !== 'object' || Array.isArray(section)) throw new BadInputError(`${where}: "default" is not an object`);
  const lines = objectLines(text, where, (path) => (path.length === 2 && path[0] === 'default' && typeof path[1] === 'string' ? path[1] : undefined));
  const packages: PythonPackage[] = [];
  for (const [name, entry] of Object.entries(section as Record<string, { version?: unknown }>)) {
    const pinned = typeof entry?.version === 'string' ? entry.version : '';
    if (!pinned.startsWith('==')) continue;
    // `==1.0` and arbitrary equality `===1.0` (Trivy trims every leading `=`).
    const version = pinned.replace(/^=+/, '').trim();
    const location = lines.get(name);
    packages.push({ id: `${name}@${version}`, name, version, dev: false, relationship: 'unknown', ...(location ? { locations: [location] } : {}) });
  }
  return packages;
}
