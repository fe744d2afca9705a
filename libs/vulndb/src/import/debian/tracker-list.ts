import type { RejectedRecord } from '../../model';
import type { Line } from '../line-reader';
import { formatBytes } from '../limits';

/*
 * The Debian security tracker's list files (data/CVE/list, data/DSA/list, data/DLA/list), read
 * one entry at a time. Grammar as the tracker's own parser defines it
 * (security-tracker lib/python/sectracker/parsers.py, https://security-team.debian.org/security_tracker.html):
 *
 *   CVE-2024-2961 (The iconv() function ...)        header: id and description, at column 0
 *   	{DSA-5673-1 DLA-3807-1}                        cross-references
 *   	- glibc 2.37-18 (bug #1069191)                 unstable: fixed in a version
 *   	[bookworm] - glibc <no-dsa> (Minor issue)      a release: pseudo-version and free text
 *   	NOTE: ... / TODO: ... / NOT-FOR-US: ...        notes
 *   	RESERVED / REJECTED                            flags
 *
 *   [23 Apr 2024] DSA-5673-1 glibc - security update DSA/DLA header: date, id, description
 */

/** One `- package version` / `- package <kind>` line. `release` is '' for unstable (sid). */
export interface PackageAnnotation {
  release: string;
  package: string;
  /** `fixed` (a version is given), `unfixed`, `removed`, `itp`, `undetermined`, `no-dsa`, `not-affected`, `end-of-life`, `ignored`, `postponed`. */
  kind: string;
  /** The fixed version, '' when not fixed. */
  version: string;
  /** Urgency from the inner annotation (`unimportant`, `low`, `medium`, `high`), '' when none. */
  urgency: string;
  /** Free text (`no-dsa` and the other free-text kinds): the reason. */
  note?: string;
  /** The annotation's line in the list file. */
  line: number;
}

export interface TrackerEntry {
  id: string;
  description: string;
  /** Line of the header. */
  line: number;
  /** For DSA/DLA headers: `[dd Mon yyyy]` as given. */
  date?: string;
  packages: PackageAnnotation[];
  /** `{…}` cross-references (CVE ids on DSA entries; DSA / DLA ids on CVE entries). */
  xrefs: string[];
  flags: string[];
}

const CVE_HEADER = /^((?:CVE-\d{4}-(?:\d{4,}|XXXX)|TEMP-\d+-\S+))(?:\s+(.*?))?\s*$/;
const ADVISORY_HEADER = /^\[(\d\d [A-Z][a-z][a-z] \d{4})\] ((?:DSA|DLA|DTSA|[A-Z]+)-\d+(?:-\d+)?)\s*(.*?)\s*$/;
const PACKAGE_VERSION = /^(?:\[([a-z-]+)\]\s)?-\s([A-Za-z0-9:.+-]+)\s*(?:\s([A-Za-z0-9:.+~-]+)\s*)?(?:\s\((.*)\))?$/;
const PACKAGE_PSEUDO = /^(?:\[([a-z-]+)\]\s)?-\s([A-Za-z0-9:.+-]+)\s+<([a-z-]+)>\s*(?:\s\((.*)\))?$/;
const XREF = /^\{(.*)\}$/;
const NOTE = /^(NOT-FOR-US|NOTE|TODO):\s+\S/;
const FLAG = /^(RESERVED|REJECTED)$/;

/** Kinds whose parenthesised text is free text (a reason), not `bug #N; urgency`. */
const FREE_TEXT_KINDS = new Set(['no-dsa', 'not-affected', 'end-of-life', 'ignored', 'postponed']);
const STRUCTURED_KINDS = new Set(['unfixed', 'removed', 'itp', 'undetermined']);
const URGENCY = /^(unimportant|low|medium|high)$/;
const BUG = /^bug #\d+$/;

class EntryError extends Error {}

/** `(bug #1; low)` → the urgency; anything else inside is an error, as in the tracker's parser. */
function parseInner(inner: string | undefined): string {
  if (!inner) return '';
  let urgency = '';
  for (const raw of inner.split(';')) {
    const part = raw.trim();
    if (URGENCY.test(part)) {
      if (urgency) throw new EntryError(`two urgencies in (${inner})`);
      urgency = part;
    } else if (!BUG.test(part)) throw new EntryError(`invalid inner annotation ${JSON.stringify(part)}`);
  }
  return urgency;
}

/** Real entries have a few dozen annotations at most; a bound keeps a hostile entry small. */
const MAX_ANNOTATIONS = 10_000;

function parseAnnotation(text: string, line: number, entry: TrackerEntry, seen: Set<string>): void {
  const count = entry.packages.length;
  if (count + entry.xrefs.length + entry.flags.length >= MAX_ANNOTATIONS) throw new EntryError(`more than ${MAX_ANNOTATIONS} annotations`);
  let match: RegExpExecArray | null;
  if ((match = PACKAGE_PSEUDO.exec(text))) {
    const [, release = '', pkg = '', kind = '', inner] = match;
    if (FREE_TEXT_KINDS.has(kind)) entry.packages.push({ release, package: pkg, kind, version: '', urgency: '', ...(inner ? { note: inner } : {}), line });
    else if (STRUCTURED_KINDS.has(kind)) entry.packages.push({ release, package: pkg, kind, version: '', urgency: parseInner(inner), line });
    else throw new EntryError(`invalid pseudo-version <${kind}>`);
  } else if ((match = PACKAGE_VERSION.exec(text))) {
    const [, release = '', pkg = '', version, inner] = match;
    entry.packages.push({ release, package: pkg, kind: version ? 'fixed' : 'unfixed', version: version ?? '', urgency: parseInner(inner), line });
  } else if ((match = XREF.exec(text))) {
    const ids = (match[1] ?? '').trim().split(/\s+/).filter(Boolean);
    if (ids.length === 0) throw new EntryError('empty cross-reference {}');
    entry.xrefs.push(...ids);
  } else if (FLAG.test(text)) entry.flags.push(text);
  else if (!NOTE.test(text)) throw new EntryError(`invalid annotation ${JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text)}`);
  const added = entry.packages[count];
  if (added) {
    const key = `${added.release} ${added.package}`;
    if (seen.has(key)) throw new EntryError(`duplicate annotation for ${added.release || 'unstable'} ${added.package}`);
    seen.add(key);
  }
}

export type ListKind = 'cve' | 'advisory';

function parseHeader(kind: ListKind, text: string, line: number): TrackerEntry | undefined {
  if (kind === 'cve') {
    const match = CVE_HEADER.exec(text);
    return match ? { id: match[1] ?? '', description: match[2] ?? '', line, packages: [], xrefs: [], flags: [] } : undefined;
  }
  const match = ADVISORY_HEADER.exec(text);
  return match ? { id: match[2] ?? '', date: match[1] ?? '', description: match[3] ?? '', line, packages: [], xrefs: [], flags: [] } : undefined;
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * Entries of one list file, in order. A malformed line rejects its whole entry (`file:line` of
 * the header, the reason naming the bad line): half an entry could turn a fixed CVE into an
 * open one or the reverse. Lines before the first header are rejected one by one.
 */
export async function* trackerEntries(lines: AsyncIterable<Line>, file: string, kind: ListKind): AsyncGenerator<TrackerEntry | RejectedRecord> {
  let entry: TrackerEntry | undefined;
  let error: string | undefined;
  let seen = new Set<string>();
  const finish = (): TrackerEntry | RejectedRecord | undefined => {
    if (!entry) return undefined;
    const done: TrackerEntry | RejectedRecord = error ? { where: `${file}:${entry.line}`, reason: `${entry.id}: ${error}` } : entry;
    entry = undefined;
    error = undefined;
    seen = new Set();
    return done;
  };
  for await (const line of lines) {
    if ('overlongBytes' in line) {
      if (entry) error ??= `line ${line.lineNo} is ${formatBytes(line.overlongBytes)}, over the limit for one record`;
      else yield { where: `${file}:${line.lineNo}`, reason: `line is ${formatBytes(line.overlongBytes)}, over the limit for one record` };
      continue;
    }
    let text: string;
    try {
      text = decoder.decode(line.text);
    } catch {
      if (entry) error ??= `line ${line.lineNo}: invalid UTF-8`;
      else yield { where: `${file}:${line.lineNo}`, reason: 'invalid UTF-8' };
      continue;
    }
    if (text.trim() === '') continue;
    const first = text.charCodeAt(0);
    if (first === 0x20 || first === 0x09) {
      if (!entry) {
        yield { where: `${file}:${line.lineNo}`, reason: 'annotation before any entry header' };
        continue;
      }
      if (error) continue;
      try {
        parseAnnotation(text.trim(), line.lineNo, entry, seen);
      } catch (e) {
        if (!(e instanceof EntryError)) throw e;
        error = `line ${line.lineNo}: ${e.message}`;
      }
      continue;
    }
    const done = finish();
    if (done) yield done;
    entry = parseHeader(kind, text, line.lineNo);
    if (!entry) yield { where: `${file}:${line.lineNo}`, reason: `malformed ${kind === 'cve' ? 'CVE' : 'DSA/DLA'} header ${JSON.stringify(text.slice(0, 80))}` };
  }
  const done = finish();
  if (done) yield done;
}
