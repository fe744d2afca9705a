import type { PluginDatabase } from '@bulkhead/plugin-sdk/api';
import type { Advisory, RejectedRecord } from '../model';
import type { AdvisoryCandidate, AdvisoryStore, ImportReport, PackageKey, SourceStatus, StoreStatus } from './advisory-store';
import { affectedKey, ImportTally, indexedAliases, invalidAdvisory, isRejected, storeRejection, type ImportOptions } from './import-accounting';

/*
 * The server's advisory store: the tables of ADVISORY_STORE_MIGRATIONS in the platform's
 * Postgres, over the SDK's PluginDatabase (parameterised SQL; a transaction for each import).
 * Only plain SELECT and INSERT results are read back (DELETE ... RETURNING goes through a CTE),
 * since the host's driver reports DELETE and UPDATE results in its own shape.
 */

type Query = Pick<PluginDatabase, 'query'>;

/** Records written per INSERT (arrays through unnest: one round trip per table per batch). */
const BATCH = 500;
/** Names per candidates() query. */
const NAMES_PER_QUERY = 1000;
/** Serialises imports across processes (the API and every worker): a transaction-level advisory lock. */
const IMPORT_LOCK_KEY = 'bulkhead:vuln_advisory:import';
/**
 * How long an import's change rows are kept: a re-match queued by an import runs long before
 * this; one over a range holding an older (pruned) import matches every package instead.
 */
export const CHANGE_LOG_RETENTION_DAYS = 30;

interface Prepared {
  advisory: Advisory;
  doc: string;
}

export class PostgresAdvisoryStore implements AdvisoryStore {
  constructor(private readonly db: PluginDatabase) {}

  async candidates(ecosystem: string, names: readonly string[]): Promise<Map<string, AdvisoryCandidate[]>> {
    // Callers pass normalised names; keep the caller's spelling as the key either way.
    const requested = new Map<string, string[]>();
    for (const name of new Set(names)) {
      const key = affectedKey(ecosystem, name);
      requested.set(key, [...(requested.get(key) ?? []), name]);
    }
    const keys = [...requested.keys()];
    const result = new Map<string, AdvisoryCandidate[]>();
    const parsed = new Map<string, Advisory>();
    for (let i = 0; i < keys.length; i += NAMES_PER_QUERY) {
      const rows = await this.db.query<{ name: string; idx: number; pk: string; doc: string }>(
        `SELECT f.name, f.idx, a.pk::text AS pk, a.doc::text AS doc
           FROM vuln_affected f JOIN vuln_advisory a ON a.pk = f.advisory_pk
          WHERE f.ecosystem = $1 AND f.name = ANY($2::text[])
          ORDER BY f.name, a.pk, f.idx`,
        [ecosystem, keys.slice(i, i + NAMES_PER_QUERY)],
      );
      for (const row of rows) {
        let advisory = parsed.get(row.pk);
        if (!advisory) {
          advisory = JSON.parse(row.doc) as Advisory;
          parsed.set(row.pk, advisory);
        }
        const affected = advisory.affected[row.idx];
        if (!affected) continue;
        for (const name of requested.get(row.name) ?? []) {
          const list = result.get(name) ?? [];
          list.push({ advisory, affected });
          result.set(name, list);
        }
      }
    }
    return result;
  }

  /**
   * One transaction: the records are written in batches as they stream in; an error from the
   * records or the database rolls everything back. Imports are serialised by an advisory lock,
   * so two imports at once (two workers) run one after the other.
   */
  async import(source: string, records: AsyncIterable<Advisory | RejectedRecord>, feed?: SourceStatus['feed'], options: ImportOptions = {}): Promise<ImportReport> {
    const tally = new ImportTally(source);
    await this.db.transaction(async (q) => {
      await q.query('SELECT pg_advisory_xact_lock(hashtext($1))', [IMPORT_LOCK_KEY]);
      const [{ generation }] = (await q.query<{ generation: number }>('SELECT coalesce(max(generation), 0)::int + 1 AS generation FROM vuln_advisory WHERE source = $1', [source])) as [
        { generation: number },
      ];
      const [{ seq }] = (await q.query<{ seq: string }>(`SELECT nextval('vuln_change_seq')::text AS seq`)) as [{ seq: string }];
      let batch = new Map<string, Prepared>();
      for await (const record of records) {
        if (isRejected(record)) {
          tally.reject(record);
          continue;
        }
        const invalid = invalidAdvisory(record);
        const doc = invalid === undefined ? postgresDocument(record) : { reason: invalid };
        if (typeof doc !== 'string') {
          tally.reject(storeRejection(source, record, doc.reason));
          continue;
        }
        // The same id twice in one batch: the later record wins, counted once.
        if (!batch.has(record.id)) tally.stored(record, false);
        batch.delete(record.id);
        batch.set(record.id, { advisory: record, doc });
        if (batch.size >= BATCH) {
          await this.writeBatch(q, source, generation, seq, batch, tally);
          batch = new Map();
        }
      }
      await this.writeBatch(q, source, generation, seq, batch, tally);
      if (options.replaceSource) {
        // What the removed records affected changes too (logged before the rows go).
        await q.query(
          `INSERT INTO vuln_change (seq, ecosystem, name)
           SELECT DISTINCT $3::bigint, f.ecosystem, f.name FROM vuln_advisory v JOIN vuln_affected f ON f.advisory_pk = v.pk
            WHERE v.source = $1 AND v.generation <> $2
           ON CONFLICT DO NOTHING`,
          [source, generation, seq],
        );
        const [removed] = await q.query<{ n: number }>(
          'WITH d AS (DELETE FROM vuln_advisory WHERE source = $1 AND generation <> $2 RETURNING 1) SELECT count(*)::int AS n FROM d',
          [source, generation],
        );
        tally.report.removed = removed?.n ?? 0;
      }
      await q.query(
        `INSERT INTO vuln_source (name, records, updated_at, feed)
         VALUES ($1, (SELECT count(*) FROM vuln_advisory WHERE source = $1), now(), $2::jsonb)
         ON CONFLICT (name) DO UPDATE SET records = excluded.records, updated_at = excluded.updated_at, feed = coalesce(excluded.feed, vuln_source.feed)`,
        [source, feed ? JSON.stringify(feed) : null],
      );
      tally.report.changes = await this.closeChangeLog(q, source, seq);
    });
    return tally.report;
  }

  /** Records the import in the change log and drops the change rows of imports past retention. */
  private async closeChangeLog(q: Query, source: string, seq: string): Promise<ImportReport['changes']> {
    const [row] = await q.query<{ packages: number }>(
      `INSERT INTO vuln_change_import (seq, source, packages) SELECT $1::bigint, $2, count(*)::int FROM vuln_change WHERE seq = $1::bigint RETURNING packages`,
      [seq, source],
    );
    await q.query(
      `WITH old AS (UPDATE vuln_change_import SET pruned = true WHERE NOT pruned AND imported_at < now() - make_interval(days => $1) RETURNING seq)
       DELETE FROM vuln_change c USING old WHERE c.seq = old.seq`,
      [CHANGE_LOG_RETENTION_DAYS],
    );
    return { seq: Number(seq), packages: row?.packages ?? 0 };
  }

  /**
   * The (ecosystem, name) keys the imports numbered `after` (exclusive) to `upTo` (inclusive)
   * changed (ImportReport.changes.seq), sorted; null when they are not all known (an import in
   * the range was pruned from the log) or when there are more than `limit`: match everything.
   */
  async changedPackages(range: { after: number; upTo: number }, limit: number): Promise<PackageKey[] | null> {
    const [pruned] = await this.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM vuln_change_import WHERE seq > $1 AND seq <= $2 AND pruned`, [range.after, range.upTo]);
    if ((pruned?.n ?? 0) > 0) return null;
    const rows = await this.db.query<PackageKey>(
      `SELECT DISTINCT ecosystem, name FROM vuln_change WHERE seq > $1 AND seq <= $2 ORDER BY ecosystem, name LIMIT $3`,
      [range.after, range.upTo, limit + 1],
    );
    return rows.length > limit ? null : rows;
  }

  private async writeBatch(q: Query, source: string, generation: number, seq: string, batch: Map<string, Prepared>, tally: ImportTally): Promise<void> {
    if (batch.size === 0) return;
    const ids = [...batch.keys()];
    const prepared = [...batch.values()];
    const docs = prepared.map((p) => p.doc);
    // The change log: what a stored record of these ids affected, where the new document differs
    // (compared as jsonb: key order and spacing do not count), before its index rows go.
    await q.query(
      `INSERT INTO vuln_change (seq, ecosystem, name)
       SELECT DISTINCT $2::bigint, f.ecosystem, f.name
         FROM unnest($3::text[], $4::text[]) AS u(id, doc)
         JOIN vuln_advisory v ON v.source = $1 AND v.id = u.id
         JOIN vuln_affected f ON f.advisory_pk = v.pk
        WHERE v.doc <> u.doc::jsonb
       ON CONFLICT DO NOTHING`,
      [source, seq, ids, docs],
    );
    // Replace the source's records of these ids (cascades to their index rows). A row of this
    // generation came from an earlier batch of this import: a repeat, already counted.
    const deleted = await q.query<{ id: string; generation: number; same: boolean }>(
      `WITH d AS (DELETE FROM vuln_advisory v USING unnest($2::text[], $3::text[]) AS u(id, doc) WHERE v.source = $1 AND v.id = u.id RETURNING v.id, v.generation, v.doc = u.doc::jsonb AS same)
       SELECT id, generation, same FROM d`,
      [source, ids, docs],
    );
    const unchanged = new Set<string>();
    for (const row of deleted) {
      if (row.generation === generation) tally.report.imported--;
      else tally.report.replaced++;
      if (row.same) unchanged.add(row.id);
    }
    const inserted = await q.query<{ pk: string; id: string }>(
      `INSERT INTO vuln_advisory (source, id, generation, withdrawn, doc)
       SELECT $1, u.id, $2, u.withdrawn, u.doc::jsonb FROM unnest($3::text[], $4::boolean[], $5::text[]) AS u(id, withdrawn, doc)
       RETURNING pk::text AS pk, id`,
      [source, generation, ids, prepared.map((p) => Boolean(p.advisory.withdrawn)), docs],
    );
    const affected: { pk: string[]; idx: number[]; ecosystem: string[]; name: string[] } = { pk: [], idx: [], ecosystem: [], name: [] };
    const aliases: { alias: string[]; pk: string[] } = { alias: [], pk: [] };
    const changed: { ecosystem: string[]; name: string[] } = { ecosystem: [], name: [] };
    for (const row of inserted) {
      const advisory = batch.get(row.id)?.advisory;
      if (!advisory) continue;
      const isChange = !unchanged.has(row.id);
      advisory.affected.forEach((a, idx) => {
        affected.pk.push(row.pk);
        affected.idx.push(idx);
        affected.ecosystem.push(a.ecosystem);
        affected.name.push(affectedKey(a.ecosystem, a.name));
        if (isChange) {
          changed.ecosystem.push(a.ecosystem);
          changed.name.push(affectedKey(a.ecosystem, a.name));
        }
      });
      for (const alias of indexedAliases(advisory)) {
        aliases.alias.push(alias);
        aliases.pk.push(row.pk);
      }
    }
    if (affected.pk.length > 0)
      await q.query('INSERT INTO vuln_affected (advisory_pk, idx, ecosystem, name) SELECT * FROM unnest($1::bigint[], $2::int[], $3::text[], $4::text[])', [
        affected.pk,
        affected.idx,
        affected.ecosystem,
        affected.name,
      ]);
    if (changed.name.length > 0)
      await q.query('INSERT INTO vuln_change (seq, ecosystem, name) SELECT DISTINCT $1::bigint, u.e, u.n FROM unnest($2::text[], $3::text[]) AS u(e, n) ON CONFLICT DO NOTHING', [
        seq,
        changed.ecosystem,
        changed.name,
      ]);
    if (aliases.pk.length > 0) await q.query('INSERT INTO vuln_alias (alias, advisory_pk) SELECT * FROM unnest($1::text[], $2::bigint[]) ON CONFLICT DO NOTHING', [aliases.alias, aliases.pk]);
  }

  async advisory(idOrAlias: string): Promise<Advisory[]> {
    const rows = await this.db.query<{ doc: string }>(
      `SELECT doc::text AS doc FROM vuln_advisory
        WHERE pk IN (SELECT pk FROM vuln_advisory WHERE id = $1 UNION SELECT advisory_pk FROM vuln_alias WHERE alias = $1)
        ORDER BY id, source`,
      [idOrAlias],
    );
    return rows.map((r) => JSON.parse(r.doc) as Advisory);
  }

  async status(): Promise<StoreStatus> {
    const [counts] = await this.db.query<{ advisories: number; affected: number }>(
      'SELECT (SELECT count(*) FROM vuln_advisory)::int AS advisories, (SELECT count(*) FROM vuln_affected)::int AS affected',
    );
    const sources = await this.db.query<{ name: string; records: number; updated_at: string; feed: string | null }>(
      `SELECT name, records, to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS updated_at, feed::text AS feed FROM vuln_source ORDER BY name`,
    );
    return {
      location: 'postgres',
      advisories: counts?.advisories ?? 0,
      affectedPackages: counts?.affected ?? 0,
      sources: sources.map((s) => ({
        source: s.name,
        records: s.records,
        updatedAt: s.updated_at,
        ...(s.feed ? { feed: JSON.parse(s.feed) as NonNullable<SourceStatus['feed']> } : {}),
      })),
    };
  }

  /** Records a feed check that found nothing new (HTTP 304): the validators, same data. */
  async touchFeed(source: string, feed: NonNullable<SourceStatus['feed']>): Promise<void> {
    await this.db.query('INSERT INTO vuln_source (name, records, updated_at, feed) VALUES ($1, 0, now(), $2::jsonb) ON CONFLICT (name) DO UPDATE SET feed = excluded.feed', [
      source,
      JSON.stringify(feed),
    ]);
  }

  /** The connection belongs to the host: nothing to release. */
  close(): Promise<void> {
    return Promise.resolve();
  }
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * The record's JSON for the doc column. Postgres text and jsonb hold neither NUL characters nor
 * unpaired surrogates (JSON's `\u0000`, `\ud800`); one such value would fail the whole batch, so
 * the record is rejected with a reason naming the field instead.
 */
function postgresDocument(advisory: Advisory): string | { reason: string } {
  let bad: string | undefined;
  const doc = JSON.stringify(advisory, (key, value: unknown) => {
    if (bad === undefined && typeof value === 'string' && (value.includes('\0') || LONE_SURROGATE.test(value))) bad = key || '(value)';
    return value;
  });
  return bad === undefined ? doc : { reason: `${advisory.id}: field "${bad}" holds a NUL character or invalid Unicode, which Postgres cannot store` };
}
