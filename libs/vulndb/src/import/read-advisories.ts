import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { BadInputError } from '@bulkhead/plugin-sdk';
import { ALPINE_SECDB_SOURCE, readAlpineSecdb } from './alpine/secdb-reader';
import type { ReleaseSourceVersion } from './debian/release-rules';
import { readDebianTrackerJson } from './debian/tracker-json-reader';
import { DEBIAN_TRACKER_SOURCE, readDebianTrackerLists } from './debian/tracker-lists-reader';
import type { ImportLimits } from './limits';
import { firstBytes, readOsvDirectory, readOsvFile, readOsvJsonLines, readOsvZip, type AdvisoryItem } from './osv-reader';

/*
 * `bulkhead db import <path...>`: any advisory input, told apart by what it is (folder, zip
 * signature) and its first bytes (a tracker list's header, a secdb document's keys), then its
 * name. Debian tracker list files given together (CVE/list with DSA/list and DLA/list, or a
 * security-tracker checkout / its data/ folder) are converted together, since DSA fixes decide
 * the CVEs' fixed versions.
 */

export type AdvisoryFormat =
  | 'osv-json'
  | 'osv-jsonl'
  | 'osv-zip'
  | 'osv-directory'
  | 'debian-cve-list'
  | 'debian-advisory-list'
  | 'debian-tracker-directory'
  | 'debian-tracker-json'
  | 'alpine-secdb';

const SNIFF_BYTES = 4096;
const CVE_LIST_HEADER = /^(?:CVE-\d{4}-(?:\d{4,}|XXXX)|TEMP-\d+-\S+)(?:\s|$)/;
const ADVISORY_LIST_HEADER = /^\[\d\d [A-Z][a-z][a-z] \d{4}\] [A-Z]+-\d+/;
const TRACKER_JSON_HEAD = /^\s*\{\s*"[^"]{1,200}"\s*:\s*\{\s*("(?:CVE|TEMP)-[^"]*"\s*:|\})/;
const SECDB_HEAD = /"distroversion"\s*:/;

/** The data/ folder of a security-tracker checkout, if `dir` is one or holds one. */
function trackerDataDir(dir: string): string | undefined {
  for (const candidate of [dir, path.join(dir, 'data')]) if (existsSync(path.join(candidate, 'CVE', 'list'))) return candidate;
  return undefined;
}

export async function detectAdvisoryFormat(input: string): Promise<AdvisoryFormat> {
  const info = await stat(input).catch((error: NodeJS.ErrnoException) => {
    throw new BadInputError(`${input}: cannot read (${error.code ?? error.message})`, { cause: error });
  });
  if (info.isDirectory()) return trackerDataDir(input) ? 'debian-tracker-directory' : 'osv-directory';
  if (!info.isFile()) throw new BadInputError(`${input}: not a file or folder`);
  const head = await firstBytes(input, SNIFF_BYTES);
  if (head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b && (head[2] === 3 || head[2] === 5) && (head[3] === 4 || head[3] === 6)) return 'osv-zip';
  const text = head.toString('utf8').replace(/^\uFEFF/, '');
  const firstLine = text.split('\n', 1)[0] ?? '';
  if (CVE_LIST_HEADER.test(firstLine)) return 'debian-cve-list';
  if (ADVISORY_LIST_HEADER.test(firstLine)) return 'debian-advisory-list';
  const lower = input.toLowerCase();
  if (lower.endsWith('.jsonl') || lower.endsWith('.ndjson')) return 'osv-jsonl';
  if (SECDB_HEAD.test(text) && !/"schema_version"|"affected"\s*:/.test(text)) return 'alpine-secdb';
  if (TRACKER_JSON_HEAD.test(text)) return 'debian-tracker-json';
  if (/^\s*[[{]/.test(text) || lower.endsWith('.json')) return 'osv-json';
  throw new BadInputError(
    `${input}: not a recognised advisory format (OSV .json/.jsonl/.zip or folder, Debian tracker CVE/DSA/DLA list or JSON, Alpine secdb JSON); first line: ${JSON.stringify(firstLine.slice(0, 80))}`,
  );
}

export interface ReadAdvisoriesOptions {
  limits?: Partial<ImportLimits>;
  /** Overrides every record's `Advisory.source` (a feed passes `osv:<url>`). */
  source?: string;
  /** Debian releases to convert tracker data for (default buster … trixie). */
  debianReleases?: readonly string[];
  /** Releases' source versions, for exact Debian list conversion (see ReleaseSourceVersion). */
  debianReleaseVersion?: ReleaseSourceVersion;
}

/** A group of inputs read together, with the source label an import of them records. */
export interface AdvisoryInputGroup {
  format: AdvisoryFormat;
  paths: string[];
  /** `osv:<path>`, `debian-tracker`, `alpine-secdb`. */
  source: string;
  read(): AsyncGenerator<AdvisoryItem>;
}

/**
 * Detects every input and groups them: Debian list files into one conversion, each other input
 * on its own. Throws BadInputError (naming the path) for an unreadable or unknown input, before
 * anything is read, so an import never starts on a typo.
 */
export async function planAdvisoryImport(inputs: readonly string[], options: ReadAdvisoriesOptions = {}): Promise<AdvisoryInputGroup[]> {
  const groups: AdvisoryInputGroup[] = [];
  const cveLists: string[] = [];
  const advisoryLists: string[] = [];
  const readerOptions = { ...(options.limits ? { limits: options.limits } : {}), ...(options.source ? { source: options.source } : {}) };
  const debian = { ...(options.debianReleases ? { releases: options.debianReleases } : {}), ...(options.debianReleaseVersion ? { releaseVersion: options.debianReleaseVersion } : {}) };
  for (const input of inputs) {
    const format = await detectAdvisoryFormat(input);
    switch (format) {
      case 'debian-cve-list':
        cveLists.push(input);
        break;
      case 'debian-advisory-list':
        advisoryLists.push(input);
        break;
      case 'debian-tracker-directory': {
        const data = trackerDataDir(input) ?? input;
        cveLists.push(path.join(data, 'CVE', 'list'));
        for (const kind of ['DSA', 'DLA']) if (existsSync(path.join(data, kind, 'list'))) advisoryLists.push(path.join(data, kind, 'list'));
        break;
      }
      case 'debian-tracker-json':
        groups.push({ format, paths: [input], source: options.source ?? DEBIAN_TRACKER_SOURCE, read: () => readDebianTrackerJson(input, { ...readerOptions, ...debian }) });
        break;
      case 'alpine-secdb':
        groups.push({ format, paths: [input], source: await secdbSource(input), read: () => readAlpineSecdb(input, readerOptions) });
        break;
      default: {
        const source = options.source ?? `osv:${path.resolve(input)}`;
        const reader = { 'osv-json': readOsvFile, 'osv-jsonl': readOsvJsonLines, 'osv-zip': readOsvZip, 'osv-directory': readOsvDirectory }[format];
        groups.push({ format, paths: [input], source, read: () => reader(input, { ...readerOptions, source }) });
      }
    }
  }
  if (cveLists.length > 1) throw new BadInputError(`several Debian CVE lists given (${cveLists.join(', ')}): give one data/CVE/list with its DSA/DLA lists`);
  if (cveLists.length + advisoryLists.length > 0) {
    const cveList = cveLists[0];
    groups.unshift({
      format: cveList ? 'debian-cve-list' : 'debian-advisory-list',
      paths: [...cveLists, ...advisoryLists],
      source: options.source ?? DEBIAN_TRACKER_SOURCE,
      read: () => readDebianTrackerLists({ ...(cveList ? { cveList } : {}), advisoryLists, ...readerOptions, ...debian }),
    });
  }
  return groups;
}

/**
 * The source label the secdb reader gives this file's records (`alpine-secdb:v3.10/main`),
 * from the keys at its top, so an import of it is recorded under the same label.
 */
async function secdbSource(file: string): Promise<string> {
  const head = (await firstBytes(file, SNIFF_BYTES)).toString('utf8');
  const release = /"distroversion"\s*:\s*"v?(\d+\.\d+)"/.exec(head)?.[1];
  const repo = /"reponame"\s*:\s*"([^"]*)"/.exec(head)?.[1];
  return release ? `${ALPINE_SECDB_SOURCE}:v${release}/${repo || 'unknown'}` : ALPINE_SECDB_SOURCE;
}

/** Every advisory of every input (see planAdvisoryImport), as one stream. */
export async function* readAdvisories(inputs: string | readonly string[], options: ReadAdvisoriesOptions = {}): AsyncGenerator<AdvisoryItem> {
  for (const group of await planAdvisoryImport(typeof inputs === 'string' ? [inputs] : inputs, options)) yield* group.read();
}
