import type { Severity } from '@bulkhead/plugin-sdk';
import { normalizePackageName } from '../ecosystem';
import type { Advisory, AdvisoryStatus, AffectedPackage, AffectedRange, CvssScore, RangeEvent, RejectedRecord } from '../model';
import { ADVISORY_STATUSES } from '../model';
import { osvCvssScore } from './cvss-score';
import { debianCodename, osvEcosystem } from './ecosystem-spelling';
import { debianUrgencySeverity, githubSeverity, ubuntuPrioritySeverity } from './severity';

/*
 * One OSV record (https://ossf.github.io/osv-schema/) as parsed JSON → the normalised Advisory,
 * or a RejectedRecord naming the field that is wrong. Validation is strict about shape (a record
 * with a wrong type or an unknown range type is rejected whole: half a record could match
 * wrongly) and lenient about what the model does not keep (unknown fields are ignored, as OSV
 * asks of consumers).
 */

/** Thrown inside this module only; turned into a RejectedRecord at the boundary. */
class RecordError extends Error {}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function fail(field: string, message: string): never {
  throw new RecordError(`${field}: ${message}`);
}

function typeName(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
}

function optionalString(record: Json, key: string, field = key): string | undefined {
  const value = record[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') fail(field, `expected a string, got ${typeName(value)}`);
  return value;
}

function optionalArray(record: Json, key: string, field = key): unknown[] {
  const value = record[key];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) fail(field, `expected an array, got ${typeName(value)}`);
  return value;
}

function optionalObject(record: Json, key: string, field = key): Json | undefined {
  const value = record[key];
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) fail(field, `expected an object, got ${typeName(value)}`);
  return value;
}

function stringArray(record: Json, key: string, field = key): string[] {
  return optionalArray(record, key, field).map((item, i) => {
    if (typeof item !== 'string') fail(`${field}[${i}]`, `expected a string, got ${typeName(item)}`);
    return item;
  });
}

const RANGE_TYPES = new Set<AffectedRange['type']>(['SEMVER', 'ECOSYSTEM', 'GIT']);
const EVENT_KEYS = ['introduced', 'fixed', 'last_affected', 'limit'] as const;

function parseEvent(value: unknown, field: string): RangeEvent {
  if (!isObject(value)) fail(field, `expected an object, got ${typeName(value)}`);
  const keys = EVENT_KEYS.filter((key) => value[key] !== undefined);
  const [key] = keys;
  if (key === undefined || keys.length !== 1) fail(field, `expected exactly one of ${EVENT_KEYS.join(', ')}, got ${keys.length === 0 ? 'none' : keys.join(' and ')}`);
  const version = value[key];
  if (typeof version !== 'string' || version === '') fail(`${field}.${key}`, `expected a non-empty string, got ${typeName(version)}`);
  return { [key]: version } as RangeEvent;
}

function parseRange(value: unknown, field: string): AffectedRange {
  if (!isObject(value)) fail(field, `expected an object, got ${typeName(value)}`);
  const type = value['type'];
  if (typeof type !== 'string') fail(`${field}.type`, `expected a string, got ${typeName(type)}`);
  if (!RANGE_TYPES.has(type as AffectedRange['type'])) fail(`${field}.type`, `unknown range type ${JSON.stringify(type)} (expected SEMVER, ECOSYSTEM or GIT)`);
  const events = optionalArray(value, 'events', `${field}.events`).map((event, i) => parseEvent(event, `${field}.events[${i}]`));
  if (events.length === 0) fail(`${field}.events`, 'a range needs at least one event');
  return { type: type as AffectedRange['type'], events };
}

/** The distro trackers' words for "no fix (yet)" to the model's statuses (trivy-db's mapping). */
const STATUS_WORDS: Readonly<Record<string, AdvisoryStatus>> = {
  open: 'affected',
  unfixed: 'affected',
  'no-dsa': 'affected',
  affected: 'affected',
  ignored: 'will_not_fix',
  will_not_fix: 'will_not_fix',
  postponed: 'fix_deferred',
  fix_deferred: 'fix_deferred',
  'end-of-life': 'end_of_life',
  end_of_life: 'end_of_life',
};

/**
 * The distro's verdict for an affected entry without a fixed event. Converted Debian records
 * carry it in `database_specific` (`<codename>_annotation`: no-dsa / ignored / postponed /
 * end-of-life / unfixed, else `debian_status: open`); any record may say `status`.
 */
function affectedStatus(ecosystem: string, ranges: AffectedRange[], specifics: Json[]): AdvisoryStatus | undefined {
  if (ranges.some((range) => range.events.some((event) => 'fixed' in event))) return undefined;
  const codename = debianCodename(ecosystem);
  const keys = [...(codename ? [`${codename}_annotation`] : []), 'status', 'debian_status'];
  for (const key of keys) {
    for (const specific of specifics) {
      const value = specific[key];
      if (typeof value !== 'string') continue;
      const word = (value.trim().split(/\s+/)[0] ?? '').toLowerCase();
      const status = STATUS_WORDS[word] ?? (ADVISORY_STATUSES as readonly string[]).find((s) => s === word);
      if (status) return status as AdvisoryStatus;
    }
  }
  return undefined;
}

/** The distro severity of an affected entry (Debian urgency, Ubuntu priority). */
function affectedSeverity(ecosystem: string, specifics: Json[], affected: Json, field: string): Severity | undefined {
  for (const specific of specifics) {
    const urgency = specific['urgency'];
    if (typeof urgency === 'string' && ecosystem.startsWith('Debian')) return debianUrgencySeverity(urgency);
  }
  // OSV 1.5+: per-affected severity; Ubuntu records use type `Ubuntu` with the priority word.
  for (const [i, entry] of optionalArray(affected, 'severity', `${field}.severity`).entries()) {
    if (isObject(entry) && entry['type'] === 'Ubuntu' && typeof entry['score'] === 'string') return ubuntuPrioritySeverity(entry['score']);
    if (!isObject(entry)) fail(`${field}.severity[${i}]`, `expected an object, got ${typeName(entry)}`);
  }
  return undefined;
}

function parseAffected(value: unknown, field: string): AffectedPackage | undefined {
  if (!isObject(value)) fail(field, `expected an object, got ${typeName(value)}`);
  const pkg = optionalObject(value, 'package', `${field}.package`);
  const ranges = optionalArray(value, 'ranges', `${field}.ranges`).map((range, i) => parseRange(range, `${field}.ranges[${i}]`));
  const versions = stringArray(value, 'versions', `${field}.versions`);
  // OSV allows an affected entry without a package for GIT-only data; nothing can match it.
  if (!pkg) return undefined;
  const rawEcosystem = optionalString(pkg, 'ecosystem', `${field}.package.ecosystem`);
  const rawName = optionalString(pkg, 'name', `${field}.package.name`);
  if (!rawEcosystem) fail(`${field}.package.ecosystem`, 'missing');
  if (!rawName) fail(`${field}.package.name`, 'missing');
  const ecosystem = osvEcosystem(rawEcosystem);
  const specifics = [optionalObject(value, 'database_specific', `${field}.database_specific`), optionalObject(value, 'ecosystem_specific', `${field}.ecosystem_specific`)].filter(
    (specific): specific is Json => specific !== undefined,
  );
  const affected: AffectedPackage = { ecosystem, name: normalizePackageName(ecosystem, rawName.trim()), ranges, versions };
  const status = affectedStatus(ecosystem, ranges, specifics);
  if (status) affected.status = status;
  const severity = affectedSeverity(ecosystem, specifics, value, field);
  if (severity) affected.severity = severity;
  return affected;
}

/** OSV `severity[]`: CVSS v3 / v4 vectors scored; other types (CVSS_V2, Ubuntu) are not kept here. */
function parseCvss(record: Json): CvssScore[] {
  const scores: CvssScore[] = [];
  for (const [i, entry] of optionalArray(record, 'severity').entries()) {
    if (!isObject(entry)) fail(`severity[${i}]`, `expected an object, got ${typeName(entry)}`);
    const type = optionalString(entry, 'type', `severity[${i}].type`);
    const vector = optionalString(entry, 'score', `severity[${i}].score`);
    if (type !== 'CVSS_V3' && type !== 'CVSS_V4') continue;
    if (!vector) fail(`severity[${i}].score`, 'missing');
    const scored = osvCvssScore(type, vector.trim());
    // An unscorable vector drops that score, not the record: rejecting a real advisory over a
    // cosmetic vector problem would turn a known vulnerability into a silent miss. Severity then
    // falls back to the database's or the distro's own, else UNKNOWN.
    if ('score' in scored) scores.push({ type, vector: vector.trim(), score: scored.score });
  }
  return scores;
}

function parseReferences(record: Json): string[] {
  return optionalArray(record, 'references').map((entry, i) => {
    if (!isObject(entry)) fail(`references[${i}]`, `expected an object, got ${typeName(entry)}`);
    const url = optionalString(entry, 'url', `references[${i}].url`);
    if (!url) fail(`references[${i}].url`, 'missing');
    return url;
  });
}

/** The top-level severity a database states (GHSA `database_specific.severity`). */
function databaseSeverity(record: Json): Severity | undefined {
  const specific = optionalObject(record, 'database_specific');
  const value = specific?.['severity'];
  return typeof value === 'string' ? githubSeverity(value) : undefined;
}

export interface OsvRecordContext {
  /** `Advisory.source` for the records read (`osv:<path or url>`). */
  source: string;
  /** Where the record was read (`file`, `file:line`, `archive.zip!entry`), for rejections. */
  where: string;
}

/** Normalises one parsed OSV record; never throws for bad input. */
export function osvRecordToAdvisory(value: unknown, context: OsvRecordContext): Advisory | RejectedRecord {
  try {
    return toAdvisory(value, context.source);
  } catch (error) {
    if (error instanceof RecordError) {
      const id = isObject(value) && typeof value['id'] === 'string' ? ` (${value['id']})` : '';
      return { where: context.where, reason: `${error.message}${id}` };
    }
    throw error;
  }
}

function toAdvisory(value: unknown, source: string): Advisory {
  if (!isObject(value)) fail('record', `expected a JSON object, got ${typeName(value)}`);
  const id = optionalString(value, 'id')?.trim();
  if (!id) fail('id', 'missing');
  // `upstream` (OSV 1.6) names the upstream problem a distro record derives from
  // (DEBIAN-CVE-2016-2781 → CVE-2016-2781): for matching it is an alias, so the CVE is reported once.
  const aliases = [...new Set([...stringArray(value, 'aliases'), ...stringArray(value, 'upstream')].map((alias) => alias.trim()))].filter((alias) => alias !== '' && alias !== id);
  const affected = optionalArray(value, 'affected')
    .map((entry, i) => parseAffected(entry, `affected[${i}]`))
    .filter((entry): entry is AffectedPackage => entry !== undefined);
  const advisory: Advisory = { id, source, aliases, cvss: parseCvss(value), references: parseReferences(value), affected };
  for (const key of ['summary', 'details', 'published', 'modified', 'withdrawn'] as const) {
    const text = optionalString(value, key);
    if (text !== undefined) advisory[key] = text;
  }
  const severity = databaseSeverity(value);
  if (severity) advisory.severity = severity;
  return advisory;
}

/** True for a RejectedRecord (the readers' other yield is an Advisory). */
export function isRejected(item: Advisory | RejectedRecord): item is RejectedRecord {
  return 'reason' in item && !('id' in item);
}
