import type { Advisory, AffectedPackage, RejectedRecord } from '../model';

/** One affected-package entry with the advisory it belongs to: what matching needs. */
export interface AdvisoryCandidate {
  advisory: Advisory;
  affected: AffectedPackage;
}

/** What one import did. An import is one transaction: all of it is stored, or none. */
export interface ImportReport {
  /** The source label recorded for these records (`osv`, `debian-tracker`, `alpine-secdb`, a feed URL). */
  source: string;
  imported: number;
  /** Records replaced because a record with the same id and source was already stored. */
  replaced: number;
  withdrawn: number;
  /** Affected ranges of type GIT: stored, never matched. */
  gitRangesSkipped: number;
  /** Rejection reasons, the first ones (a store keeps at most 1,000; see rejectedCount). */
  rejected: RejectedRecord[];
  /** Every rejected record, counted, when the store counts beyond what it keeps in `rejected`. */
  rejectedCount?: number;
  /** Records of this source removed because a complete import (`replaceSource`) no longer holds them. */
  removed?: number;
  /**
   * Stores that keep a change log (Postgres): the import's number in it, and how many (ecosystem,
   * name) keys it changed (records added, changed, replaced by a different one, or removed; a
   * record imported again unchanged changes nothing). Re-matching reads the keys back
   * (PostgresAdvisoryStore.changedPackages) to match only the packages they name.
   */
  changes?: { seq: number; packages: number };
}

/** An (ecosystem, name) key of the advisory index (names normalised as ecosystem.ts does). */
export interface PackageKey {
  ecosystem: string;
  name: string;
}

export interface SourceStatus {
  source: string;
  records: number;
  /** RFC 3339 time of the last import or update of this source. */
  updatedAt: string;
  /** Feed URL and its validators, for sources fed by `db update`. */
  feed?: {
    url: string;
    etag?: string;
    lastModified?: string;
    sha256?: string;
    /** RFC 3339 time of the last check of the feed, also when it had not changed (HTTP 304). */
    checkedAt?: string;
  };
}

export interface StoreStatus {
  /** Where the store lives: a file path (embedded) or `postgres`. */
  location: string;
  advisories: number;
  affectedPackages: number;
  sources: SourceStatus[];
}

/**
 * Where advisories live: an embedded database in the CLI's cache directory, or the platform's
 * Postgres in server mode. Both answer the same questions with indexes; neither ever loads the
 * whole database into memory.
 */
export interface AdvisoryStore {
  /**
   * Every affected entry for these package names in one ecosystem (names normalised as
   * ecosystem.ts does), withdrawn advisories included (the matcher ignores them). Keyed by name.
   */
  candidates(ecosystem: string, names: readonly string[]): Promise<Map<string, AdvisoryCandidate[]>>;
  /** Stores the records of one source in one transaction; see ImportReport. */
  import(
    source: string,
    records: AsyncIterable<Advisory | RejectedRecord>,
    feed?: SourceStatus['feed'],
    options?: { /** The records are the source's whole data: drop what they no longer hold. */ replaceSource?: boolean },
  ): Promise<ImportReport>;
  /** One advisory by id or alias (CVE id finds the GHSA/DSA records that alias it). */
  advisory(idOrAlias: string): Promise<Advisory[]>;
  status(): Promise<StoreStatus>;
  close(): Promise<void>;
}
