import { createReadStream } from 'node:fs';
import type { Advisory, RejectedRecord } from '../../model';
import { DEBIAN_CODENAMES } from '../ecosystem-spelling';
import { boundedLines } from '../line-reader';
import { importLimits, type ImportLimits } from '../limits';
import type { AdvisoryItem } from '../osv-reader';
import { releaseAffected, type AdvisoryFix, type DebianReleaseContext, type ReleaseSourceVersion } from './release-rules';
import { trackerEntries, type ListKind, type TrackerEntry } from './tracker-list';

/** `Advisory.source` of everything converted from the Debian security tracker. */
export const DEBIAN_TRACKER_SOURCE = 'debian-tracker';

/** Releases converted by default: the ones with security support in recent years. */
export const DEFAULT_DEBIAN_RELEASES: readonly string[] = ['buster', 'bullseye', 'bookworm', 'trixie'];

export interface DebianTrackerOptions {
  /** data/CVE/list. */
  cveList?: string;
  /** data/DSA/list and/or data/DLA/list: their fixes win over the CVE list's lines. */
  advisoryLists?: readonly string[];
  /** Codenames to convert (default DEFAULT_DEBIAN_RELEASES); each becomes `Debian:<major>`. */
  releases?: readonly string[];
  /** The releases' source versions (see ReleaseSourceVersion); without it unstable fixes are assumed in every release. */
  releaseVersion?: ReleaseSourceVersion;
  source?: string;
  limits?: Partial<ImportLimits>;
}

function releaseContext(options: DebianTrackerOptions): DebianReleaseContext {
  const releases = new Map<string, string>();
  for (const codename of options.releases ?? DEFAULT_DEBIAN_RELEASES) {
    const major = DEBIAN_CODENAMES[codename];
    if (!major) throw new Error(`unknown Debian release ${JSON.stringify(codename)} (known: ${Object.keys(DEBIAN_CODENAMES).join(', ')})`);
    releases.set(codename, `Debian:${major}`);
  }
  return { releases, ...(options.releaseVersion ? { releaseVersion: options.releaseVersion } : {}) };
}

function listEntries(file: string, kind: ListKind, limits: ImportLimits): AsyncGenerator<TrackerEntry | RejectedRecord> {
  const stream = createReadStream(file, { highWaterMark: 256 * 1024 });
  return (async function* () {
    try {
      yield* trackerEntries(boundedLines(stream, limits.maxRecordBytes), file, kind);
    } finally {
      stream.destroy();
    }
  })();
}

/** `(The iconv() function ...)` / `[title]` → the text inside. */
function summaryOf(description: string): string | undefined {
  const text = description.trim();
  if (!text) return undefined;
  const inner = (text.startsWith('(') && text.endsWith(')')) || (text.startsWith('[') && text.endsWith(']')) ? text.slice(1, -1).trim() : text;
  return inner || undefined;
}

/**
 * Converts the Debian security tracker's list files into OSV-model advisories: one Advisory per
 * CVE (id = the CVE id, aliases = the DSA / DLA ids naming it), with one affected entry per
 * release and source package (ecosystem `Debian:<major>`), by trivy-db's rules (release-rules.ts).
 *
 * The DSA/DLA lists are read first and their fixes held by CVE id (they are small: one line per
 * fixed release); the CVE list is then streamed entry by entry. DSAs naming no CVE, and CVEs
 * only a DSA names, become advisories of their own at the end, as in trivy-db.
 * Entries without package lines (NOT-FOR-US, RESERVED, REJECTED) and placeholder ids
 * (CVE-2024-XXXX) are not advisories and are skipped.
 */
export async function* readDebianTrackerLists(options: DebianTrackerOptions): AsyncGenerator<AdvisoryItem> {
  const limits = importLimits(options.limits);
  const context = releaseContext(options);
  const source = options.source ?? DEBIAN_TRACKER_SOURCE;
  const fixesByCve = new Map<string, AdvisoryFix[]>();
  const advisoryOnly: TrackerEntry[] = [];
  for (const list of options.advisoryLists ?? []) {
    for await (const item of listEntries(list, 'advisory', limits)) {
      if ('reason' in item) {
        yield item;
        continue;
      }
      const cves = item.xrefs.filter((id) => id.startsWith('CVE-'));
      if (cves.length === 0) {
        advisoryOnly.push(item);
        continue;
      }
      for (const cve of cves) {
        const fixes = fixesByCve.get(cve) ?? [];
        for (const annotation of item.packages) fixes.push({ advisory: item.id, annotation });
        fixesByCve.set(cve, fixes);
      }
    }
  }
  if (options.cveList) {
    for await (const item of listEntries(options.cveList, 'cve', limits)) {
      if ('reason' in item) {
        yield item;
        continue;
      }
      const fixes = fixesByCve.get(item.id) ?? [];
      fixesByCve.delete(item.id);
      if (item.id.endsWith('-XXXX') || (item.packages.length === 0 && fixes.length === 0)) continue;
      const converted = convert(item.id, item, fixes, context, source, `${options.cveList}:${item.line}`, item.packages);
      if (converted) yield converted;
    }
  }
  // CVEs only a DSA/DLA names (absent from the CVE list given, e.g. a partial list).
  for (const [cve, fixes] of fixesByCve) {
    const converted = convert(cve, undefined, fixes, context, source, `${fixes[0]?.advisory ?? cve}`, []);
    if (converted) yield converted;
  }
  // DSAs naming no CVE: trivy-db files them under the DSA id.
  for (const entry of advisoryOnly) {
    const converted = convert(entry.id, entry, entry.packages.map((annotation) => ({ advisory: entry.id, annotation })), context, source, entry.id, []);
    if (converted) yield converted;
  }
}

/**
 * One advisory from a CVE entry (`packages` its lines) or a DSA/DLA entry (its lines are the
 * `fixes`, `packages` empty), or undefined when no release is affected.
 */
function convert(
  id: string,
  entry: TrackerEntry | undefined,
  fixes: AdvisoryFix[],
  context: DebianReleaseContext,
  source: string,
  where: string,
  packages: TrackerEntry['packages'],
): Advisory | RejectedRecord | undefined {
  let result: ReturnType<typeof releaseAffected>;
  try {
    result = releaseAffected(packages, fixes, context);
  } catch (error) {
    // An unparsable version in a line (compared with dpkg ordering).
    return { where, reason: `${id}: ${(error as Error).message}` };
  }
  if (result.affected.length === 0) return undefined;
  const aliases = [...new Set([...(entry?.xrefs ?? []), ...result.vendorIds])].filter((alias) => alias !== id);
  const advisory: Advisory = {
    id,
    source,
    aliases,
    cvss: [],
    references: [`https://security-tracker.debian.org/tracker/${id}`],
    affected: result.affected,
  };
  const summary = entry ? summaryOf(entry.description) : undefined;
  if (summary) advisory.summary = summary;
  return advisory;
}
