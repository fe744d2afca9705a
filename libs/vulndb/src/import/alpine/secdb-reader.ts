import { readFile, stat } from 'node:fs/promises';
import type { Advisory, AffectedPackage, RejectedRecord } from '../../model';
import { compareVersions, isValidVersion } from '../../version';
import { osvEcosystem } from '../ecosystem-spelling';
import { parseJsonRecord } from '../json-text';
import { formatBytes, importLimits, type ImportLimits } from '../limits';
import type { AdvisoryItem } from '../osv-reader';

/*
 * Alpine secdb JSON (https://secdb.alpinelinux.org/v3.19/main.json; historically
 * github.com/alpinelinux/alpine-secdb): per release and repository, each package's `secfixes`
 * maps a fixed apk version to the ids it fixed. Converted to OSV-model advisories:
 *
 *  - ecosystem `Alpine:<distroversion>` (`Alpine:v3.10`), package = the origin package name
 *    (secdb names origin packages; the matcher maps installed apks by origin);
 *  - every id fixed in version V: affected from the beginning up to V (`introduced 0, fixed V`);
 *    an id listed under several versions of one package (a fix redone) takes the newest;
 *  - key `0` means "never affected in this release": no entry;
 *  - ids as written in aports `# secfixes:` comments, normalised: `CVE_2019-2426` → `CVE-2019-2426`,
 *    `CVE-2017-17434-1` → `CVE-2017-17434`, trailing notes (`CVE-2018-14461 (LDP)`) dropped; other
 *    ids on the same line (`TALOS-2017-0488`) become aliases; lines naming no id are skipped.
 *
 * One Advisory per id per secdb file, with `source` `alpine-secdb:<distroversion>/<reponame>`
 * (taken from the file, not its path): an Advisory is stored by (id, source), so the same CVE
 * in v3.10/main and v3.11/main (or main and community) are distinct records that re-importing
 * the same file replaces, instead of one release's record overwriting another's.
 */

export const ALPINE_SECDB_SOURCE = 'alpine-secdb';

export interface AlpineSecdbOptions {
  limits?: Partial<ImportLimits>;
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

const CVE = /^CVE[-_](\d{4})-(\d{4,})/i;
const OTHER_ID = /^[A-Z][A-Z0-9]*-[A-Za-z0-9][A-Za-z0-9_.:-]*$/;

/** `CVE-2018-14461 (LDP)` → { id: 'CVE-2018-14461', aliases: [] }; no id → undefined. */
export function secfixId(text: string): { id: string; aliases: string[] } | undefined {
  const tokens = text.replace(/\(.*$/, '').trim().split(/\s+/).filter(Boolean);
  const ids: string[] = [];
  for (const token of tokens) {
    const cve = CVE.exec(token);
    if (cve) ids.push(`CVE-${cve[1]}-${cve[2]}`);
    else if (OTHER_ID.test(token)) ids.push(token);
  }
  const [first, ...rest] = [...new Set(ids)].sort((a, b) => Number(b.startsWith('CVE-')) - Number(a.startsWith('CVE-')));
  return first ? { id: first, aliases: rest } : undefined;
}

export async function* readAlpineSecdb(file: string, options: AlpineSecdbOptions = {}): AsyncGenerator<AdvisoryItem> {
  const limits = importLimits(options.limits);
  // secdb files are one JSON document of at most a few MiB: read whole, within the record limit.
  const size = (await stat(file)).size;
  if (size > limits.maxRecordBytes) {
    yield { where: file, reason: `file is ${formatBytes(size)}, over the ${formatBytes(limits.maxRecordBytes)} limit for one secdb document` };
    return;
  }
  const parsed = parseJsonRecord(await readFile(file), limits.maxJsonDepth);
  if (!parsed.ok) {
    yield { where: file, reason: parsed.reason };
    return;
  }
  const document = parsed.value;
  if (!isObject(document)) {
    yield { where: file, reason: 'expected a secdb object' };
    return;
  }
  const release = document['distroversion'];
  const repo = document['reponame'];
  const packages = document['packages'];
  if (typeof release !== 'string' || !/^v?\d+\.\d+$/.test(release)) {
    yield { where: file, reason: `distroversion: expected a release like "v3.19", got ${JSON.stringify(release)}` };
    return;
  }
  // An empty YAML list converts to "" (v3.3/community.json): no packages.
  if (packages === '' || packages === null) return;
  if (!Array.isArray(packages)) {
    yield { where: file, reason: 'packages: expected an array' };
    return;
  }
  const ecosystem = osvEcosystem(`Alpine:${release}`);
  const source = `${ALPINE_SECDB_SOURCE}:${ecosystem.slice('Alpine:'.length)}/${typeof repo === 'string' && repo ? repo : 'unknown'}`;
  // id → package → newest fixed version; insertion order keeps the file's order.
  const fixes = new Map<string, { aliases: Set<string>; packages: Map<string, string> }>();
  for (const [index, item] of packages.entries()) {
    yield* collectPackage(item, `${file}#packages[${index}]`, fixes);
  }
  for (const [id, fix] of fixes) {
    const affected: AffectedPackage[] = [...fix.packages].map(([name, fixed]) => ({ ecosystem, name, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed }] }], versions: [] }));
    const advisory: Advisory = { id, source, aliases: [...fix.aliases].filter((alias) => alias !== id), cvss: [], references: [], affected };
    yield advisory;
  }
}

/**
 * Adds one package's secfixes to `fixes`. A malformed package is rejected whole; a version apk
 * cannot order (real data has `2.7.16-33`, `4.10-1-r1`) rejects that version's ids only, so one
 * typo does not drop every other fix of the package.
 */
function collectPackage(item: unknown, where: string, fixes: Map<string, { aliases: Set<string>; packages: Map<string, string> }>): RejectedRecord[] {
  const pkg = isObject(item) ? item['pkg'] : undefined;
  if (!isObject(pkg)) return [{ where, reason: 'pkg: expected an object' }];
  const name = pkg['name'];
  if (typeof name !== 'string' || !name) return [{ where, reason: 'pkg.name: expected a package name' }];
  const secfixes = pkg['secfixes'];
  if (secfixes === undefined || secfixes === null) return [];
  const named = `${where} (${name})`;
  if (!isObject(secfixes)) return [{ where: named, reason: 'pkg.secfixes: expected an object' }];
  const rejected: RejectedRecord[] = [];
  for (const [version, ids] of Object.entries(secfixes)) {
    if (version === '0') continue;
    // An empty value (YAML `7.4.0-r0:` with nothing under it) fixes nothing.
    if (ids === '' || ids === null) continue;
    if (!Array.isArray(ids) || ids.some((id) => typeof id !== 'string')) {
      rejected.push({ where: named, reason: `secfixes[${JSON.stringify(version)}]: expected a list of ids` });
      continue;
    }
    if (!isValidVersion('apk', version)) {
      rejected.push({ where: named, reason: `secfixes: ${JSON.stringify(version)} is not an apk version (${ids.length} id(s) skipped)` });
      continue;
    }
    for (const text of ids as string[]) {
      const parsed = secfixId(text);
      if (!parsed) continue;
      const fix = fixes.get(parsed.id) ?? { aliases: new Set<string>(), packages: new Map<string, string>() };
      parsed.aliases.forEach((alias) => fix.aliases.add(alias));
      const known = fix.packages.get(name);
      if (known === undefined || compareVersions('apk', version, known) > 0) fix.packages.set(name, version);
      fixes.set(parsed.id, fix);
    }
  }
  return rejected;
}
