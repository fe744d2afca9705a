import { createReadStream } from 'node:fs';
import type { Advisory, AdvisoryStatus, AffectedPackage, RejectedRecord } from '../../model';
import { DEBIAN_CODENAMES } from '../ecosystem-spelling';
import { parseJsonRecord } from '../json-text';
import { jsonObjectMembers } from '../json-members';
import { formatBytes, importLimits, type ImportLimits } from '../limits';
import type { AdvisoryItem } from '../osv-reader';
import { debianUrgencySeverity } from '../severity';
import { DEBIAN_TRACKER_SOURCE, DEFAULT_DEBIAN_RELEASES } from './tracker-lists-reader';

/*
 * The Debian security tracker's JSON (https://security-tracker.debian.org/tracker/data/json):
 *
 *   { "<source package>": { "<CVE>": { "description": "...", "releases": {
 *       "bookworm": { "status": "resolved" | "open" | "undetermined", "fixed_version": "...",
 *                     "urgency": "low", "nodsa": "Minor issue", "nodsa_reason": "ignored",
 *                     "repositories": { "bookworm": "1.2-3" } } } } } }
 *
 * Unlike the list files, the tracker has already decided each release against its own source
 * versions, so the verdicts convert directly: resolved with a version → fixed (version "0":
 * never affected, omitted); open → affected, `nodsa_reason` ignored → will_not_fix, postponed →
 * fix_deferred, urgency end-of-life → end_of_life; undetermined → omitted (as trivy-db does).
 *
 * The file is keyed by package and advisories by CVE, so members are streamed one package at a
 * time and the converted entries regrouped by CVE before they are yielded: memory holds the
 * converted entries (the output), never the input document.
 */

export interface DebianTrackerJsonOptions {
  releases?: readonly string[];
  source?: string;
  limits?: Partial<ImportLimits>;
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

interface Pending {
  summary?: string;
  affected: AffectedPackage[];
}

export async function* readDebianTrackerJson(file: string, options: DebianTrackerJsonOptions = {}): AsyncGenerator<AdvisoryItem> {
  const limits = importLimits(options.limits);
  const source = options.source ?? DEBIAN_TRACKER_SOURCE;
  const releases = new Map<string, string>();
  for (const codename of options.releases ?? DEFAULT_DEBIAN_RELEASES) {
    const major = DEBIAN_CODENAMES[codename];
    if (!major) throw new Error(`unknown Debian release ${JSON.stringify(codename)}`);
    releases.set(codename, `Debian:${major}`);
  }
  const byCve = new Map<string, Pending>();
  const stream = createReadStream(file, { highWaterMark: 256 * 1024 });
  try {
    for await (const member of jsonObjectMembers(stream as AsyncIterable<Buffer>, limits.maxRecordBytes)) {
      if ('error' in member) {
        yield { where: file, reason: member.error };
        break;
      }
      const where = `${file}#${member.key}`;
      if ('overlongBytes' in member) {
        yield { where, reason: `package entry is ${formatBytes(member.overlongBytes)}, over the ${formatBytes(limits.maxRecordBytes)} limit for one record` };
        continue;
      }
      const parsed = parseJsonRecord(member.value, limits.maxJsonDepth);
      if (!parsed.ok) {
        yield { where, reason: parsed.reason };
        continue;
      }
      const rejected = collectPackage(member.key, parsed.value, releases, byCve, where);
      if (rejected) yield rejected;
    }
  } finally {
    stream.destroy();
  }
  for (const [id, pending] of byCve) {
    const advisory: Advisory = { id, source, aliases: [], cvss: [], references: [`https://security-tracker.debian.org/tracker/${id}`], affected: pending.affected };
    if (pending.summary) advisory.summary = pending.summary;
    yield advisory;
  }
}

/** Converts one package's CVEs into `byCve`; a wrong shape rejects the whole package entry. */
function collectPackage(name: string, value: unknown, releases: ReadonlyMap<string, string>, byCve: Map<string, Pending>, where: string): RejectedRecord | undefined {
  if (!isObject(value)) return { where, reason: 'expected an object of CVE entries' };
  const converted: [string, string | undefined, AffectedPackage][] = [];
  for (const [cve, entry] of Object.entries(value)) {
    if (!isObject(entry)) return { where, reason: `${cve}: expected an object` };
    const releaseMap = entry['releases'];
    if (!isObject(releaseMap)) return { where, reason: `${cve}.releases: expected an object` };
    const description = typeof entry['description'] === 'string' && entry['description'] ? entry['description'] : undefined;
    for (const [codename, ecosystem] of releases) {
      const verdict = releaseMap[codename];
      if (verdict === undefined) continue;
      if (!isObject(verdict)) return { where, reason: `${cve}.releases.${codename}: expected an object` };
      const affected = toAffected(ecosystem, name, verdict);
      if (typeof affected === 'string') return { where, reason: `${cve}.releases.${codename}.${affected}` };
      if (affected) converted.push([cve, description, affected]);
    }
  }
  for (const [cve, description, affected] of converted) {
    const pending = byCve.get(cve) ?? { affected: [] };
    if (description && !pending.summary) pending.summary = description;
    pending.affected.push(affected);
    byCve.set(cve, pending);
  }
  return undefined;
}

/** The affected entry of one release verdict; undefined when not affected; a string names a bad field. */
function toAffected(ecosystem: string, name: string, verdict: Json): AffectedPackage | undefined | string {
  const field = (key: string): string | undefined | false => {
    const v = verdict[key];
    return v === undefined || v === null ? undefined : typeof v === 'string' ? v : false;
  };
  const status = field('status');
  const fixed = field('fixed_version');
  const urgency = field('urgency');
  const reason = field('nodsa_reason');
  if (status === false || status === undefined) return 'status: expected a string';
  if (fixed === false) return 'fixed_version: expected a string';
  if (urgency === false) return 'urgency: expected a string';
  if (reason === false) return 'nodsa_reason: expected a string';
  const entry: AffectedPackage = { ecosystem, name, ranges: [], versions: [] };
  const severity = urgency && urgency !== 'not yet assigned' && urgency !== 'end-of-life' ? debianUrgencySeverity(urgency) : undefined;
  if (severity) entry.severity = severity;
  switch (status) {
    case 'undetermined':
      return undefined;
    case 'resolved':
      if (!fixed) return 'fixed_version: missing on a resolved entry';
      if (fixed === '0') return undefined;
      entry.ranges = [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed }] }];
      return entry;
    case 'open': {
      let open: AdvisoryStatus = 'affected';
      if (reason === 'ignored') open = 'will_not_fix';
      else if (reason === 'postponed') open = 'fix_deferred';
      else if (urgency === 'end-of-life') open = 'end_of_life';
      entry.ranges = [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }] }];
      entry.status = open;
      return entry;
    }
    default:
      return `status: unknown status ${JSON.stringify(status)}`;
  }
}
