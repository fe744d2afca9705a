import { existsSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Advisory, RejectedRecord } from '../model';
import type { AdvisoryCandidate, AdvisoryStore, ImportReport, SourceStatus, StoreStatus } from './advisory-store';
import { embeddedStorePath, ensurePrivateDir } from './cache-dir';
import { affectedKey, ImportTally, indexedAliases, invalidAdvisory, isRejected, storeRejection, type ImportOptions } from './import-accounting';

/*
 * The CLI's embedded advisory database: one SQLite file (better-sqlite3) in the cache directory.
 * Chosen over PGlite by measurement (bench/vulndb-store.ts). Each advisory is stored once as its
 * JSON document; the affected entries and aliases are index rows pointing at it, so a lookup
 * reads only the advisories of the packages asked for and never loads the database.
 */

/** The schema this code writes and reads (PRAGMA user_version). */
export const SQLITE_SCHEMA_VERSION = 1;
/** PRAGMA application_id of Bulkhead advisory databases ("BHAD"), to refuse other SQLite files. */
const APPLICATION_ID = 0x42484144;

const SCHEMA = `
CREATE TABLE source (
  name TEXT PRIMARY KEY,
  records INTEGER NOT NULL DEFAULT 0,
  updated_at TEXT NOT NULL,
  feed TEXT
);
CREATE TABLE advisory (
  pk INTEGER PRIMARY KEY,
  source TEXT NOT NULL,
  id TEXT NOT NULL,
  generation INTEGER NOT NULL,
  withdrawn INTEGER NOT NULL,
  doc TEXT NOT NULL,
  UNIQUE (source, id)
);
CREATE INDEX advisory_by_id ON advisory (id);
CREATE TABLE affected (
  ecosystem TEXT NOT NULL,
  name TEXT NOT NULL,
  advisory_pk INTEGER NOT NULL REFERENCES advisory (pk) ON DELETE CASCADE,
  idx INTEGER NOT NULL,
  PRIMARY KEY (ecosystem, name, advisory_pk, idx)
) WITHOUT ROWID;
CREATE INDEX affected_by_advisory ON affected (advisory_pk);
CREATE TABLE alias (
  alias TEXT NOT NULL,
  advisory_pk INTEGER NOT NULL REFERENCES advisory (pk) ON DELETE CASCADE,
  PRIMARY KEY (alias, advisory_pk)
) WITHOUT ROWID;
CREATE INDEX alias_by_advisory ON alias (advisory_pk);
`;

export interface SqliteStoreOptions {
  /** Open read-only (a scan): the file must exist and hold an advisory database. */
  readonly?: boolean;
  /**
   * How long to wait for another process's write lock (an import or update running at the same
   * time) before failing. Default 10 minutes for writers, 30 s for readers.
   */
  lockTimeoutMs?: number;
}

/** The store is in a state the user must act on (no database, a newer schema, another file). */
export class AdvisoryDatabaseError extends Error {
  override readonly name = 'AdvisoryDatabaseError';
}

interface Statements {
  findAdvisory: Database.Statement<[string, string], { pk: number; generation: number }>;
  deleteAdvisory: Database.Statement<[number]>;
  insertAdvisory: Database.Statement<[string, string, number, number, string]>;
  insertAffected: Database.Statement<[string, string, number, number]>;
  insertAlias: Database.Statement<[string, number]>;
  candidates: Database.Statement<[string, string]>;
}

export class SqliteAdvisoryStore implements AdvisoryStore {
  private readonly db: Database.Database;
  private readonly statements: Statements;
  private importing = false;

  /** Opens (and, unless read-only, creates) the database file at `file`. */
  constructor(
    readonly file: string,
    options: SqliteStoreOptions = {},
  ) {
    const readonly = options.readonly ?? false;
    const timeout = options.lockTimeoutMs ?? (readonly ? 30_000 : 600_000);
    if (readonly && !existsSync(file)) throw noDatabase(file);
    if (!readonly) ensurePrivateDir(path.dirname(file));
    try {
      this.db = new Database(file, { readonly, fileMustExist: readonly, timeout });
    } catch (error) {
      throw new AdvisoryDatabaseError(`cannot open the advisory database at ${file}: ${(error as Error).message}`);
    }
    try {
      this.prepareSchema(readonly);
      this.statements = this.prepare();
    } catch (error) {
      this.db.close();
      throw wrapSqliteError(error, file);
    }
  }

  private prepareSchema(readonly: boolean): void {
    const db = this.db;
    if (readonly) {
      this.checkSchema(false);
    } else {
      // WAL: a scan reading the database never blocks an import and sees the last committed data.
      db.pragma('journal_mode = WAL');
      // Creating the schema takes the write lock first, so two processes never both create it.
      db.exec('BEGIN IMMEDIATE');
      try {
        if (this.checkSchema(true) === 'empty') {
          db.exec(SCHEMA);
          db.pragma(`application_id = ${APPLICATION_ID}`);
          db.pragma(`user_version = ${SQLITE_SCHEMA_VERSION}`);
        }
        db.exec('COMMIT');
      } catch (error) {
        if (db.inTransaction) db.exec('ROLLBACK');
        throw error;
      }
    }
    db.pragma('foreign_keys = ON');
    // NORMAL is durable at each commit's checkpoint in WAL mode and much faster than FULL.
    if (!readonly) db.pragma('synchronous = NORMAL');
  }

  /** Refuses a newer schema and a foreign file; 'empty' for a new file (writers create it). */
  private checkSchema(allowEmpty: boolean): 'empty' | 'current' {
    const version = this.db.pragma('user_version', { simple: true }) as number;
    const applicationId = this.db.pragma('application_id', { simple: true }) as number;
    const tables = this.db.prepare(`SELECT count(*) AS n FROM sqlite_schema WHERE type = 'table'`).get() as { n: number };
    if (version === 0 && applicationId === 0 && tables.n === 0) {
      if (allowEmpty) return 'empty';
      throw noDatabase(this.file);
    }
    if (applicationId !== APPLICATION_ID) throw new AdvisoryDatabaseError(`${this.file} is an SQLite file but not a Bulkhead advisory database: move it away or choose another --cache-dir`);
    if (version > SQLITE_SCHEMA_VERSION)
      throw new AdvisoryDatabaseError(
        `the advisory database at ${this.file} has schema version ${version}, newer than this bulkhead understands (${SQLITE_SCHEMA_VERSION}): upgrade bulkhead, or remove the file and import again`,
      );
    if (version < SQLITE_SCHEMA_VERSION) throw new AdvisoryDatabaseError(`the advisory database at ${this.file} has unknown schema version ${version}: remove the file and import again`);
    return 'current';
  }

  private prepare(): Statements {
    const db = this.db;
    return {
      findAdvisory: db.prepare('SELECT pk, generation FROM advisory WHERE source = ? AND id = ?'),
      deleteAdvisory: db.prepare('DELETE FROM advisory WHERE pk = ?'),
      insertAdvisory: db.prepare('INSERT INTO advisory (source, id, generation, withdrawn, doc) VALUES (?, ?, ?, ?, ?)'),
      insertAffected: db.prepare('INSERT OR IGNORE INTO affected (ecosystem, name, advisory_pk, idx) VALUES (?, ?, ?, ?)'),
      insertAlias: db.prepare('INSERT OR IGNORE INTO alias (alias, advisory_pk) VALUES (?, ?)'),
      candidates: db.prepare('SELECT f.idx, a.pk, a.doc FROM affected f JOIN advisory a ON a.pk = f.advisory_pk WHERE f.ecosystem = ? AND f.name = ?').raw(true),
    };
  }

  candidates(ecosystem: string, names: readonly string[]): Promise<Map<string, AdvisoryCandidate[]>> {
    const result = new Map<string, AdvisoryCandidate[]>();
    // One parsed document per advisory per call: a Debian advisory names many packages.
    const parsed = new Map<number, Advisory>();
    for (const name of new Set(names)) {
      const rows = this.statements.candidates.all(ecosystem, affectedKey(ecosystem, name)) as [number, number, string][];
      if (rows.length === 0) continue;
      const list: AdvisoryCandidate[] = [];
      for (const [idx, pk, doc] of rows) {
        let advisory = parsed.get(pk);
        if (!advisory) {
          advisory = JSON.parse(doc) as Advisory;
          parsed.set(pk, advisory);
        }
        const affected = advisory.affected[idx];
        if (affected) list.push({ advisory, affected });
      }
      result.set(name, list);
    }
    return Promise.resolve(result);
  }

  /**
   * Stores the records of one source in one transaction: an error from the records (a reader
   * failing halfway) or from the database rolls back everything, leaving the previous data.
   * The write lock is taken at the start (BEGIN IMMEDIATE), so a second process importing at the
   * same time waits for this one (up to the lock timeout) instead of interleaving.
   */
  async import(source: string, records: AsyncIterable<Advisory | RejectedRecord>, feed?: SourceStatus['feed'], options: ImportOptions = {}): Promise<ImportReport> {
    if (this.importing) throw new Error('this advisory store is already importing: imports on one store run one at a time');
    if (this.db.readonly) throw new AdvisoryDatabaseError(`the advisory database at ${this.file} is open read-only`);
    this.importing = true;
    const tally = new ImportTally(source);
    const db = this.db;
    try {
      try {
        db.exec('BEGIN IMMEDIATE');
      } catch (error) {
        throw wrapSqliteError(error, this.file);
      }
      try {
        const generation = this.nextGeneration(source);
        for await (const record of records) {
          if (isRejected(record)) {
            tally.reject(record);
            continue;
          }
          const invalid = invalidAdvisory(record);
          if (invalid) {
            tally.reject(storeRejection(source, record, invalid));
            continue;
          }
          const outcome = this.write(source, generation, record);
          if (outcome !== 'repeated') tally.stored(record, outcome === 'replaced');
        }
        if (options.replaceSource) {
          tally.report.removed = db.prepare('DELETE FROM advisory WHERE source = ? AND generation <> ?').run(source, generation).changes;
        }
        this.recordSource(source, feed);
        db.exec('COMMIT');
      } catch (error) {
        if (db.inTransaction) db.exec('ROLLBACK');
        throw error;
      }
    } finally {
      this.importing = false;
    }
    return tally.report;
  }

  /** The import's generation: records the import stored carry it (see replaceSource). */
  private nextGeneration(source: string): number {
    const row = this.db.prepare('SELECT max(generation) AS g FROM advisory WHERE source = ?').get(source) as { g: number | null };
    return (row.g ?? 0) + 1;
  }

  /**
   * Writes one advisory, replacing the source's record of the same id: 'replaced' when that record
   * was stored before this import, 'repeated' when this import already carried the id (the later
   * record wins and the import counts it once).
   */
  private write(source: string, generation: number, advisory: Advisory): 'new' | 'replaced' | 'repeated' {
    const s = this.statements;
    const existing = s.findAdvisory.get(source, advisory.id);
    // Deleting cascades to the old record's affected and alias rows.
    if (existing) s.deleteAdvisory.run(existing.pk);
    const pk = Number(s.insertAdvisory.run(source, advisory.id, generation, advisory.withdrawn ? 1 : 0, JSON.stringify(advisory)).lastInsertRowid);
    advisory.affected.forEach((affected, idx) => s.insertAffected.run(affected.ecosystem, affectedKey(affected.ecosystem, affected.name), pk, idx));
    for (const alias of indexedAliases(advisory)) s.insertAlias.run(alias, pk);
    if (!existing) return 'new';
    return existing.generation === generation ? 'repeated' : 'replaced';
  }

  private recordSource(source: string, feed: SourceStatus['feed'] | undefined): void {
    const { n } = this.db.prepare('SELECT count(*) AS n FROM advisory WHERE source = ?').get(source) as { n: number };
    this.db
      .prepare(
        `INSERT INTO source (name, records, updated_at, feed) VALUES (?, ?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET records = excluded.records, updated_at = excluded.updated_at, feed = coalesce(excluded.feed, source.feed)`,
      )
      .run(source, n, new Date().toISOString(), feed ? JSON.stringify(feed) : null);
  }

  advisory(idOrAlias: string): Promise<Advisory[]> {
    const rows = this.db
      .prepare(
        `SELECT doc FROM advisory WHERE pk IN (SELECT pk FROM advisory WHERE id = ? UNION SELECT advisory_pk FROM alias WHERE alias = ?) ORDER BY id, source`,
      )
      .pluck()
      .all(idOrAlias, idOrAlias) as string[];
    return Promise.resolve(rows.map((doc) => JSON.parse(doc) as Advisory));
  }

  status(): Promise<StoreStatus> {
    const count = (table: string): number => (this.db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
    const sources = this.db.prepare('SELECT name, records, updated_at, feed FROM source ORDER BY name').all() as { name: string; records: number; updated_at: string; feed: string | null }[];
    return Promise.resolve({
      location: this.file,
      advisories: count('advisory'),
      affectedPackages: count('affected'),
      sources: sources.map((s) => ({
        source: s.name,
        records: s.records,
        updatedAt: s.updated_at,
        ...(s.feed ? { feed: JSON.parse(s.feed) as NonNullable<SourceStatus['feed']> } : {}),
      })),
    });
  }

  /** Records a feed check that found nothing new (HTTP 304): the validators, same data. */
  touchFeed(source: string, feed: NonNullable<SourceStatus['feed']>): Promise<void> {
    this.db
      .prepare('INSERT INTO source (name, records, updated_at, feed) VALUES (?, 0, ?, ?) ON CONFLICT (name) DO UPDATE SET feed = excluded.feed')
      .run(source, new Date().toISOString(), JSON.stringify(feed));
    return Promise.resolve();
  }

  close(): Promise<void> {
    if (this.db.open) this.db.close();
    return Promise.resolve();
  }
}

function noDatabase(file: string): AdvisoryDatabaseError {
  return new AdvisoryDatabaseError(`no advisory database at ${file}: run bulkhead db import <path> or bulkhead db update --feed <url>`);
}

/** SQLite's own errors made into sentences naming the file; SQLITE_BUSY means another process holds the lock. */
function wrapSqliteError(error: unknown, file: string): Error {
  if (error instanceof AdvisoryDatabaseError) return error;
  const code = (error as { code?: string }).code;
  if (code === 'SQLITE_BUSY') return new AdvisoryDatabaseError(`the advisory database at ${file} is locked by another bulkhead process (an import or update still running): try again when it has finished`);
  if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') return new AdvisoryDatabaseError(`${file} is not a readable advisory database (${(error as Error).message}): remove it and import again`);
  return error instanceof Error ? error : new Error(String(error));
}

/** Opens the embedded store of a cache directory for writing, creating it (0700 folders) when absent. */
export function createEmbeddedAdvisoryStore(cacheDir: string, options: Omit<SqliteStoreOptions, 'readonly'> = {}): SqliteAdvisoryStore {
  return new SqliteAdvisoryStore(embeddedStorePath(cacheDir), options);
}

/**
 * Opens the embedded store of a cache directory read-only, for a scan. Without one it throws an
 * AdvisoryDatabaseError saying plainly "no advisory database at <path>: run bulkhead db import …",
 * so a scan never looks clean for want of data.
 */
export function openEmbeddedAdvisoryStore(cacheDir: string, options: Omit<SqliteStoreOptions, 'readonly'> = {}): SqliteAdvisoryStore {
  return new SqliteAdvisoryStore(embeddedStorePath(cacheDir), { ...options, readonly: true });
}
