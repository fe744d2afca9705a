import type { AdvisoryCandidate, AdvisoryStore } from '../store/advisory-store';
import type { AdvisoryStatus, AffectedRange, MatchablePackage } from '../model';
import { versionSchemeOf } from '../ecosystem';
import { severityOfCvssScore } from '../cvss/cvss';
import { InvalidVersionError } from '../version/errors';
import { versionOrdering, type VersionOrdering } from '../version/ordering';
import { groupByAlias, isCveId } from './alias-groups';
import { evaluateEventsInOrder, evaluateRange, prepareRange, UnorderableRangeError } from './range-evaluator';
import { resolveSeverity, type MatchedRecord } from './severity';
import type { VulnerabilityMatch } from './vulnerability-match';

/** Candidates for some names of one ecosystem, keyed by name (AdvisoryStore.candidates). */
export type AdvisoryLookup = (ecosystem: string, names: readonly string[]) => Promise<Map<string, AdvisoryCandidate[]>>;

export interface MatchOptions {
  /** Drop matches without a fixed version (`--ignore-unfixed`). */
  ignoreUnfixed?: boolean;
  /** Names per candidates() call (default 1000). */
  batchSize?: number;
}

/** What matching skipped, so a report can say so instead of looking clean. */
export interface MatchStats {
  packages: number;
  /** candidates() calls made (one per ecosystem and batch of names). */
  lookups: number;
  candidates: number;
  withdrawnIgnored: number;
  gitRangesSkipped: number;
  /** Packages of ecosystems no version ordering covers, by ecosystem. */
  unsupportedEcosystems: Record<string, number>;
  /** Installed versions the ecosystem's ordering cannot read (never matched by range). */
  invalidVersions: { ref: string; ecosystem: string; version: string; reason: string }[];
  /** Advisory ranges whose bounds cannot be ordered, skipped. */
  unorderableRanges: { advisoryId: string; ecosystem: string; name: string; reason: string }[];
}

export interface MatchResult {
  matches: VulnerabilityMatch[];
  stats: MatchStats;
}

interface ParsedEntry {
  parsed?: unknown;
  error?: InvalidVersionError;
}

interface Hit extends MatchedRecord {
  range?: AffectedRange;
  listedVersion?: string;
  fixed?: string;
}

const DEFAULT_BATCH = 1000;

function lookupOf(source: AdvisoryLookup | Pick<AdvisoryStore, 'candidates'>): AdvisoryLookup {
  return typeof source === 'function' ? source : (ecosystem, names) => source.candidates(ecosystem, names);
}

/**
 * Matches packages against advisories: one candidates() call per ecosystem and batch of
 * names (no per-package queries), each installed version and each range parsed once, OSV
 * evaluation for ranges and `versions` lists, withdrawn records ignored, GIT ranges skipped
 * and counted, and one VulnerabilityMatch per package and problem (aliases merged).
 */
export async function matchPackagesWithStats(
  packages: readonly MatchablePackage[],
  source: AdvisoryLookup | Pick<AdvisoryStore, 'candidates'>,
  options: MatchOptions = {},
): Promise<MatchResult> {
  const lookup = lookupOf(source);
  const batchSize = Math.max(1, options.batchSize ?? DEFAULT_BATCH);
  const stats: MatchStats = {
    packages: packages.length,
    lookups: 0,
    candidates: 0,
    withdrawnIgnored: 0,
    gitRangesSkipped: 0,
    unsupportedEcosystems: {},
    invalidVersions: [],
    unorderableRanges: [],
  };
  const byEcosystem = new Map<string, MatchablePackage[]>();
  for (const pkg of packages) {
    const list = byEcosystem.get(pkg.ecosystem);
    if (list) list.push(pkg);
    else byEcosystem.set(pkg.ecosystem, [pkg]);
  }
  const matches: VulnerabilityMatch[] = [];
  for (const [ecosystem, members] of byEcosystem) {
    const scheme = versionSchemeOf(ecosystem);
    if (!scheme) {
      stats.unsupportedEcosystems[ecosystem] = (stats.unsupportedEcosystems[ecosystem] ?? 0) + members.length;
      continue;
    }
    const matcher = new EcosystemMatcher(ecosystem, versionOrdering(scheme), stats);
    const names = [...new Set(members.map((p) => p.name))];
    const byName = new Map<string, MatchablePackage[]>();
    for (const pkg of members) {
      const list = byName.get(pkg.name);
      if (list) list.push(pkg);
      else byName.set(pkg.name, [pkg]);
    }
    for (let start = 0; start < names.length; start += batchSize) {
      const batch = names.slice(start, start + batchSize);
      stats.lookups++;
      const found = await lookup(ecosystem, batch);
      for (const name of batch) {
        const candidates = found.get(name);
        if (!candidates || candidates.length === 0) continue;
        stats.candidates += candidates.length;
        for (const match of matcher.matchName(byName.get(name) ?? [], candidates, options)) matches.push(match);
      }
    }
  }
  return { matches, stats };
}

/** The matches only; see matchPackagesWithStats for what was skipped. */
export async function matchPackages(
  packages: readonly MatchablePackage[],
  source: AdvisoryLookup | Pick<AdvisoryStore, 'candidates'>,
  options: MatchOptions = {},
): Promise<VulnerabilityMatch[]> {
  return (await matchPackagesWithStats(packages, source, options)).matches;
}

/**
 * Matching in one ecosystem: its ordering and a cache of parsed versions (installed versions
 * and range bounds repeat a lot). Candidates are walked once per name: each range is prepared
 * (bounds parsed and sorted) once and evaluated for every installed version of that name.
 */
class EcosystemMatcher {
  private readonly versions = new Map<VersionOrdering, Map<string, ParsedEntry>>();
  private readonly semverOrdering: VersionOrdering;
  private readonly parseMain: (version: string) => unknown;
  private readonly parseSemver: (version: string) => unknown;

  constructor(
    private readonly ecosystem: string,
    private readonly ordering: VersionOrdering,
    private readonly stats: MatchStats,
  ) {
    // OSV SEMVER ranges are SemVer 2.0 whatever the ecosystem; Go's ordering reads its `v` prefix
    this.semverOrdering = ordering.scheme === 'go' ? ordering : versionOrdering('npm');
    this.parseMain = this.parser(ordering);
    this.parseSemver = this.parser(this.semverOrdering);
  }

  private parsed(version: string, ordering: VersionOrdering): ParsedEntry {
    let cache = this.versions.get(ordering);
    if (!cache) this.versions.set(ordering, (cache = new Map()));
    let entry = cache.get(version);
    if (!entry) {
      try {
        entry = { parsed: ordering.parse(version) };
      } catch (error) {
        if (!(error instanceof InvalidVersionError)) throw error;
        entry = { error };
      }
      cache.set(version, entry);
    }
    return entry;
  }

  /** The ordering's parse behind the cache (throws as parse does), for range bounds. */
  private parser(ordering: VersionOrdering): (version: string) => unknown {
    return (version) => {
      const entry = this.parsed(version, ordering);
      if (entry.error) throw entry.error;
      return entry.parsed;
    };
  }

  /** Every match of the installed packages of one name (usually one; Debian binaries share a source). */
  matchName(pkgs: readonly MatchablePackage[], candidates: readonly AdvisoryCandidate[], options: MatchOptions): VulnerabilityMatch[] {
    const installed = pkgs.map((pkg) => {
      const entry = this.parsed(pkg.version, this.ordering);
      if (entry.error) this.stats.invalidVersions.push({ ref: pkg.ref, ecosystem: this.ecosystem, version: pkg.version, reason: entry.error.message });
      return entry.parsed;
    });
    const hits: Hit[][] = pkgs.map(() => []);
    const found: boolean[] = pkgs.map(() => false);
    for (const candidate of candidates) {
      const { advisory, affected } = candidate;
      if (advisory.withdrawn) {
        this.stats.withdrawnIgnored++;
        continue;
      }
      found.fill(false);
      for (const range of affected.ranges) {
        if (range.type === 'GIT') {
          this.stats.gitRangesSkipped++;
          continue;
        }
        const semver = range.type === 'SEMVER' && this.semverOrdering !== this.ordering;
        const ordering = semver ? this.semverOrdering : this.ordering;
        try {
          if (pkgs.length === 1) {
            // one installed version: evaluate the events as they come (no preparation), unless unsorted
            const version = semver ? this.parsed((pkgs[0] as MatchablePackage).version, ordering).parsed : installed[0];
            if (version === undefined || found[0]) continue;
            const verdict = evaluateEventsInOrder(range, version, ordering, semver ? this.parseSemver : this.parseMain) ?? evaluateRange(prepareRange(range, ordering, semver ? this.parseSemver : this.parseMain), version, ordering);
            if (verdict.affected) {
              found[0] = true;
              (hits[0] as Hit[]).push(hitOf(advisory, affected, range, verdict.fixed));
            }
            continue;
          }
          const prepared = prepareRange(range, ordering, semver ? this.parseSemver : this.parseMain);
          for (let i = 0; i < pkgs.length; i++) {
            if (found[i]) continue;
            const version = semver ? this.parsed((pkgs[i] as MatchablePackage).version, ordering).parsed : installed[i];
            if (version === undefined) continue;
            const verdict = evaluateRange(prepared, version, ordering);
            if (!verdict.affected) continue;
            found[i] = true;
            (hits[i] as Hit[]).push(hitOf(advisory, affected, range, verdict.fixed));
          }
        } catch (error) {
          if (!(error instanceof UnorderableRangeError)) throw error;
          this.stats.unorderableRanges.push({ advisoryId: advisory.id, ecosystem: this.ecosystem, name: affected.name, reason: error.message });
        }
      }
      if (affected.versions.length > 0) {
        for (let i = 0; i < pkgs.length; i++) {
          const version = (pkgs[i] as MatchablePackage).version;
          if (!found[i] && affected.versions.includes(version)) (hits[i] as Hit[]).push({ advisory, affected, listedVersion: version });
        }
      }
    }
    const result: VulnerabilityMatch[] = [];
    for (let i = 0; i < pkgs.length; i++) {
      const pkgHits = hits[i] as Hit[];
      if (pkgHits.length === 0) continue;
      for (const group of groupByAlias(pkgHits, idsOfHit)) {
        const match = this.merge(pkgs[i] as MatchablePackage, group.cve, group.ids, group.members);
        if (options.ignoreUnfixed && match.fixedVersion === undefined) continue;
        result.push(match);
      }
    }
    return result;
  }

  private merge(pkg: MatchablePackage, cve: string | undefined, ids: Set<string>, hits: Hit[]): VulnerabilityMatch {
    const id = cve ?? preferredId([...ids]);
    const aliases: string[] = [];
    for (const other of ids) if (other !== id) aliases.push(other);
    aliases.sort();
    // several records may name a fix: the highest one is fixed by all of them
    let fixedVersion: string | undefined;
    let distroStatus: AdvisoryStatus | undefined;
    for (const hit of hits) {
      const status = hit.affected.status;
      if (distroStatus === undefined && status !== undefined && status !== 'fixed') distroStatus = status;
      if (hit.fixed === undefined) continue;
      if (fixedVersion === undefined || this.compareText(hit.fixed, fixedVersion) > 0) fixedVersion = hit.fixed;
    }
    const severity = resolveSeverity(hits, severityOfCvssScore);
    const titled = hits.find((h) => h.advisory.id === id) ?? hits.find((h) => h.advisory.summary) ?? (hits[0] as Hit);
    const match: VulnerabilityMatch = {
      ref: pkg.ref,
      id,
      aliases,
      severity: severity.severity,
      severitySource: severity.severitySource,
      title: titled.advisory.summary ?? firstLine(titled.advisory.details) ?? id,
      installedVersion: pkg.version,
      status: fixedVersion !== undefined ? 'fixed' : (distroStatus ?? 'affected'),
      evidence: hits.map(evidenceOf),
    };
    if (fixedVersion !== undefined) match.fixedVersion = fixedVersion;
    if (severity.cvssScore !== undefined) match.cvssScore = severity.cvssScore;
    return match;
  }

  private compareText(a: string, b: string): number {
    const pa = this.parsed(a, this.ordering).parsed;
    const pb = this.parsed(b, this.ordering).parsed;
    if (pa === undefined || pb === undefined) return 0;
    return this.ordering.compare(pa, pb);
  }
}

function hitOf(advisory: AdvisoryCandidate['advisory'], affected: AdvisoryCandidate['affected'], range: AffectedRange, fixed: string | undefined): Hit {
  const hit: Hit = { advisory, affected, range };
  if (fixed !== undefined) hit.fixed = fixed;
  return hit;
}

function idsOfHit(hit: Hit): string[] {
  return [hit.advisory.id, ...hit.advisory.aliases];
}

function evidenceOf(hit: Hit): VulnerabilityMatch['evidence'][number] {
  const evidence: VulnerabilityMatch['evidence'][number] = { advisoryId: hit.advisory.id, source: hit.advisory.source };
  if (hit.range) evidence.range = hit.range;
  if (hit.listedVersion !== undefined) evidence.listedVersion = hit.listedVersion;
  return evidence;
}

/** Without a CVE: GHSA, then any other id, alphabetically for a stable choice. */
function preferredId(ids: string[]): string {
  const sorted = [...ids].sort();
  return sorted.find(isCveId) ?? sorted.find((id) => id.startsWith('GHSA-')) ?? (sorted[0] as string);
}

function firstLine(text: string | undefined): string | undefined {
  const line = text?.split('\n').find((l) => l.trim() !== '');
  return line?.trim();
}
