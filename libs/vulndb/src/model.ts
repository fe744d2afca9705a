import type { Severity } from '@bulkhead/plugin-sdk';

/*
 * The advisory model every importer writes and every matcher reads. It is OSV's
 * (https://ossf.github.io/osv-schema/), normalised: one format covers the language ecosystems
 * and the distributions (OSV's own `Debian:12`, `Alpine:v3.19` ecosystems), and the distro
 * trackers' formats (Debian's data/CVE/list, Alpine secdb) are converted into it on import.
 */

/** How a package is affected when no fixed version says it all (distro trackers' statuses). */
export const ADVISORY_STATUSES = ['fixed', 'affected', 'will_not_fix', 'fix_deferred', 'end_of_life'] as const;
export type AdvisoryStatus = (typeof ADVISORY_STATUSES)[number];

/** One OSV range event; exactly one key is set. */
export type RangeEvent = { introduced: string } | { fixed: string } | { last_affected: string } | { limit: string };

export interface AffectedRange {
  /** `GIT` ranges are stored but never matched (counted as skipped). */
  type: 'SEMVER' | 'ECOSYSTEM' | 'GIT';
  events: RangeEvent[];
}

/** One affected package of an advisory (OSV `affected[]`). */
export interface AffectedPackage {
  /**
   * OSV ecosystem, with the release for distributions exactly as OSV spells it: `npm`, `PyPI`,
   * `Maven`, `Go`, `crates.io`, `Packagist`, `RubyGems`, `Debian:12`, `Alpine:v3.19`,
   * `Ubuntu:22.04:LTS`, `Rocky Linux:9`. See ecosystem.ts for how packages map to these.
   */
  ecosystem: string;
  /**
   * The package name in that ecosystem, normalised as ecosystem.ts `normalizePackageName` does
   * (PyPI names PEP 503-normalised, Maven `group:artifact`, Debian the *source* package name).
   */
  name: string;
  ranges: AffectedRange[];
  /** Explicitly listed affected versions (OSV `versions`). */
  versions: string[];
  /**
   * The distro's verdict where no fixed version is known: `affected` (no fix yet),
   * `will_not_fix`, `fix_deferred`, `end_of_life`. Omitted (or `fixed`) when a range carries a
   * `fixed` event.
   */
  status?: AdvisoryStatus;
  /** The distro's own severity for this package (Debian urgency, Ubuntu priority), when given. */
  severity?: Severity;
}

export interface CvssScore {
  /** `CVSS_V3` (3.0 and 3.1) or `CVSS_V4`, as OSV names the type. */
  type: 'CVSS_V3' | 'CVSS_V4';
  vector: string;
  /** Base score computed from the vector (with a CVSS library). */
  score: number;
}

export interface Advisory {
  /** OSV id (`GHSA-…`, `PYSEC-…`, `DEBIAN-CVE-…`), or the CVE / DSA id for tracker data. */
  id: string;
  /** Where it came from: `osv:<file or feed>`, `debian-tracker`, `alpine-secdb`. */
  source: string;
  /** CVE / GHSA / PYSEC / DSA ids naming the same problem. */
  aliases: string[];
  summary?: string;
  details?: string;
  /** RFC 3339 times as the source gives them. */
  published?: string;
  modified?: string;
  /** Set on withdrawn records: they are kept for status but never match. */
  withdrawn?: string;
  /** The database's own severity (GHSA `database_specific.severity`), when given. */
  severity?: Severity;
  cvss: CvssScore[];
  references: string[];
  affected: AffectedPackage[];
}

/** A record an importer could not use: skipped, counted and reported, never fatal. */
export interface RejectedRecord {
  /** File (and line, for JSON lines / tracker lists) or archive member. */
  where: string;
  reason: string;
}

/** One package to match, as the scanner's inventory gives it (see ecosystem.ts). */
export interface MatchablePackage {
  /** Caller's handle, returned on each match (the package's index, or its stored id). */
  ref: string;
  ecosystem: string;
  /** Normalised name in that ecosystem (Debian: the source package). */
  name: string;
  version: string;
}
