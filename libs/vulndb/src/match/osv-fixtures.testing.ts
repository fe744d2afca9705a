import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { Severity } from '@bulkhead/plugin-sdk';
import { cvssScore } from '../cvss/cvss';
import { normalizePackageName } from '../ecosystem';
import type { Advisory, AdvisoryStatus, AffectedPackage, AffectedRange } from '../model';

/*
 * Test-only: reads the shared OSV fixtures into the advisory model the way the OSV importer
 * does (upstream ids as aliases, GHSA severity words, Debian tracker annotations as statuses,
 * Debian urgency as the distro severity), so the matcher is tested without the importers.
 */

interface OsvRecord {
  id: string;
  aliases?: string[];
  upstream?: string[];
  summary?: string;
  details?: string;
  published?: string;
  modified?: string;
  withdrawn?: string;
  severity?: { type: string; score: string }[];
  database_specific?: { severity?: string };
  affected: {
    package: { ecosystem: string; name: string };
    ranges?: AffectedRange[];
    versions?: string[];
    database_specific?: Record<string, unknown>;
  }[];
}

const GHSA_SEVERITY: Readonly<Record<string, Severity>> = { LOW: 'LOW', MODERATE: 'MEDIUM', MEDIUM: 'MEDIUM', HIGH: 'HIGH', CRITICAL: 'CRITICAL' };
const DEBIAN_URGENCY: Readonly<Record<string, Severity>> = { unimportant: 'LOW', low: 'LOW', medium: 'MEDIUM', high: 'HIGH' };
const ANNOTATION_STATUS: Readonly<Record<string, AdvisoryStatus>> = { 'no-dsa': 'affected', ignored: 'will_not_fix', postponed: 'fix_deferred', 'end-of-life': 'end_of_life' };

export function osvToAdvisory(record: OsvRecord, source: string): Advisory {
  const aliases = [...new Set([...(record.aliases ?? []), ...(record.upstream ?? [])])].filter((a) => a !== record.id);
  const affected: AffectedPackage[] = record.affected.map((entry) => {
    const ranges = entry.ranges ?? [];
    const out: AffectedPackage = { ecosystem: entry.package.ecosystem, name: normalizePackageName(entry.package.ecosystem, entry.package.name), ranges, versions: entry.versions ?? [] };
    const specific = entry.database_specific ?? {};
    const hasFix = ranges.some((r) => r.events.some((e) => 'fixed' in e));
    if (!hasFix && entry.package.ecosystem.startsWith('Debian')) {
      const annotation = Object.entries(specific).find(([key]) => key.endsWith('_annotation') && !key.startsWith('sid'))?.[1];
      out.status = (typeof annotation === 'string' ? ANNOTATION_STATUS[annotation] : undefined) ?? 'affected';
    }
    const urgency = specific['urgency'];
    if (typeof urgency === 'string' && DEBIAN_URGENCY[urgency]) out.severity = DEBIAN_URGENCY[urgency];
    return out;
  });
  const advisory: Advisory = {
    id: record.id,
    source,
    aliases,
    cvss: (record.severity ?? []).filter((s) => s.type === 'CVSS_V3' || s.type === 'CVSS_V4').map((s) => cvssScore(s.score)),
    references: [],
    affected,
    ...(record.summary ? { summary: record.summary } : {}),
    ...(record.details ? { details: record.details } : {}),
    ...(record.withdrawn ? { withdrawn: record.withdrawn } : {}),
  };
  const severity = record.database_specific?.severity;
  if (severity && GHSA_SEVERITY[severity]) advisory.severity = GHSA_SEVERITY[severity];
  return advisory;
}

/** Every `*.json` OSV record under a folder (recursively). */
export function readOsvFolder(folder: string, source: string): Advisory[] {
  const advisories: Advisory[] = [];
  for (const entry of readdirSync(folder, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.json')) continue;
    const file = path.join(entry.parentPath, entry.name);
    advisories.push(osvToAdvisory(JSON.parse(readFileSync(file, 'utf8')) as OsvRecord, source));
  }
  return advisories.sort((a, b) => (a.id < b.id ? -1 : 1));
}
