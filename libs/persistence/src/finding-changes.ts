import { createHash } from 'node:crypto';
import { findingFingerprint, type FindingResult } from '@bulkhead/plugin-sdk';
import type { DataSource } from 'typeorm';
import { FindingEntity, FindingStatus } from './entities';
import { tableName } from './table-name';

/** Findings looked up per statement (three text arrays: bounds the statement, not bind parameters). */
const KEYS_PER_QUERY = 5000;

/** Hashes already computed, per finding object and (producer, scope): a report's findings are hashed once per write. */
const hashes = new WeakMap<FindingResult, { producer: string; scope: string; hash: string }>();

/**
 * `finding.content_hash`: what a complete report compares to tell an unchanged finding from a
 * changed one without reading it back: sha256 of the content the upsert writes (kind, severity,
 * rule, title, location, data) and the report's producer and scope. The data is hashed as
 * JSON.stringify writes it: one producer writes the same finding with the same key order, and
 * a different order only costs a write, never a missed change.
 */
export function findingContentHash(finding: FindingResult, producer: string, scope: string): string {
  const known = hashes.get(finding);
  if (known && known.producer === producer && known.scope === scope) return known.hash;
  const hash = createHash('sha256')
    .update(JSON.stringify([finding.kind, finding.severity, finding.ruleId, finding.title, finding.location ?? null, producer, scope, finding.data ?? {}]))
    .digest('hex');
  hashes.set(finding, { producer, scope, hash });
  return hash;
}

/**
 * The findings of complete reports that are stored already exactly as reported (same content
 * hash, so same content, producer and scope; OPEN or SUPPRESSED): a report need not write them
 * again. One set-based probe per slice (arrays through unnest, the finding identity's unique
 * index), returning only the identities of the unchanged ones: a re-match of thousands of images,
 * where almost nothing changed, neither reads findings back nor rewrites them
 * (bench/vuln-rematch.ts). A row without a hash (written before hashes, or by a write without a
 * report) is taken as changed: written once, with its hash.
 */
export async function storedUnchanged(
  dataSource: DataSource,
  team: string,
  groups: readonly { findings: readonly FindingResult[]; report: { producer: string; scope: string } }[],
): Promise<Set<FindingResult>> {
  const wanted = new Map<string, { finding: FindingResult; fingerprint: string; hash: string }>();
  for (const group of groups) {
    for (const finding of group.findings) {
      const fingerprint = findingFingerprint(finding);
      wanted.set(`${finding.target}\u0000${fingerprint}`, { finding, fingerprint, hash: findingContentHash(finding, group.report.producer, group.report.scope) });
    }
  }
  const unchanged = new Set<FindingResult>();
  if (wanted.size === 0) return unchanged;
  const table = tableName(dataSource, FindingEntity);
  const keys = [...wanted.values()];
  for (let i = 0; i < keys.length; i += KEYS_PER_QUERY) {
    const slice = keys.slice(i, i + KEYS_PER_QUERY);
    const rows: { target: string; fingerprint: string }[] = await dataSource.query(
      `SELECT f.target, f.fingerprint
         FROM unnest($2::text[], $3::text[], $4::text[]) AS k(target, fingerprint, hash)
         JOIN ${table} AS f ON f.team = $1 AND f.target = k.target AND f.fingerprint = k.fingerprint
        WHERE f.status IN ('${FindingStatus.OPEN}', '${FindingStatus.SUPPRESSED}') AND f.content_hash = k.hash`,
      [team, slice.map((k) => k.finding.target), slice.map((k) => k.fingerprint), slice.map((k) => k.hash)],
    );
    for (const row of rows) {
      const entry = wanted.get(`${row.target}\u0000${row.fingerprint}`);
      if (entry) unchanged.add(entry.finding);
    }
  }
  return unchanged;
}
