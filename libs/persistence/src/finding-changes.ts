import { findingFingerprint, type FindingResult } from '@bulkhead/plugin-sdk';
import type { DataSource } from 'typeorm';
import { FindingEntity, FindingStatus } from './entities';
import { tableName } from './table-name';

/** Findings looked up per statement (two text arrays: bounds the statement, not bind parameters). */
const KEYS_PER_QUERY = 5000;

interface StoredContent {
  target: string;
  fingerprint: string;
  kind: string;
  severity: string;
  rule_id: string;
  title: string;
  location: string | null;
  data: unknown;
  producer: string | null;
  scope: string | null;
}

/**
 * The findings of complete reports that are stored already exactly as reported (same content,
 * producer and scope, OPEN or SUPPRESSED): a report need not write them again. Compared here rather
 * than by the upsert so that a re-match of thousands of images, where almost nothing changed,
 * ships and probes only the findings that did (bench/vuln-rematch.ts). Only the reported
 * findings' own rows are read (probed by their identity, the unique index), never the rest of
 * their scopes. JSON is compared in a canonical form (sorted keys), as Postgres' jsonb stores
 * it; a difference only costs a write.
 */
export async function storedUnchanged(
  dataSource: DataSource,
  team: string,
  groups: readonly { findings: readonly FindingResult[]; report: { producer: string; scope: string } }[],
): Promise<Set<FindingResult>> {
  const wanted = new Map<string, { finding: FindingResult; fingerprint: string; producer: string; scope: string }>();
  for (const group of groups) {
    for (const finding of group.findings) {
      const fingerprint = findingFingerprint(finding);
      wanted.set(`${finding.target}\u0000${fingerprint}`, { finding, fingerprint, ...group.report });
    }
  }
  const unchanged = new Set<FindingResult>();
  if (wanted.size === 0) return unchanged;
  const table = tableName(dataSource, FindingEntity);
  const keys = [...wanted.values()];
  for (let i = 0; i < keys.length; i += KEYS_PER_QUERY) {
    const slice = keys.slice(i, i + KEYS_PER_QUERY);
    const rows: StoredContent[] = await dataSource.query(
      `SELECT f.target, f.fingerprint, f.kind, f.severity, f.rule_id, f.title, f.location, f.data, f.producer, f.scope
         FROM unnest($2::text[], $3::text[]) AS k(target, fingerprint)
         JOIN ${table} AS f ON f.team = $1 AND f.target = k.target AND f.fingerprint = k.fingerprint
        WHERE f.status IN ('${FindingStatus.OPEN}', '${FindingStatus.SUPPRESSED}')`,
      [team, slice.map((k) => k.finding.target), slice.map((k) => k.fingerprint)],
    );
    for (const row of rows) {
      const entry = wanted.get(`${row.target}\u0000${row.fingerprint}`);
      if (entry && sameContent(row, entry.finding, entry.producer, entry.scope)) unchanged.add(entry.finding);
    }
  }
  return unchanged;
}

function sameContent(row: StoredContent, finding: FindingResult, producer: string, scope: string): boolean {
  return (
    row.kind === finding.kind &&
    row.severity === finding.severity &&
    row.rule_id === finding.ruleId &&
    row.title === finding.title &&
    row.location === (finding.location ?? null) &&
    row.producer === producer &&
    row.scope === scope &&
    canonicalJson(row.data) === canonicalJson(JSON.parse(JSON.stringify(finding.data ?? {})))
  );
}

/** JSON with object keys sorted at every level (the value's identity, whatever the key order). */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
