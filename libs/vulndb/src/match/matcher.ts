import type { AdvisoryCandidate, AdvisoryStore } from '../store/advisory-store';
import type { AdvisoryStatus, AffectedRange, MatchablePackage } from '../model';
import { versionSchemeOf } from '../ecosystem';
import { severityOfCvssScore } from '../cvss/cvss';
import { InvalidVersionError } from '../version/errors';
import { versionOrdering, type VersionOrdering } from '../version/ordering';
import { groupByAlias, isCveId } from './alias-groups';
import { evaluateRange, prepareRange, UnorderableRangeError, type PreparedRange } from './range-evaluator';
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
        for (const pkg of byName.get(name) ?? []) matches.push(...matcher.match(pkg, candidates, options));
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

/** Matching state of one ecosystem: its ordering, and caches of parsed versions and ranges. */
class EcosystemMatcher {
  private readonly versions = new Map<string, { parsed?: unknown; error?: string }>();
  private readonly semverOrdering: VersionOrdering;
  private readonly ranges = new WeakMap<AffectedRange, PreparedRange | UnorderableRangeError>();

  constructor(
    private readonly ecosystem: string,
    private readonly ordering: VersionOrdering,
    private readonly stats: MatchStats,
  ) {
    // OSV SEMVER ranges are SemVer 2.0 whatever the ecosystem; Go's ordering reads its `v` prefix
    this.semverOrdering = ordering.scheme === 'go' ? ordering : versionOrdering('npm');
  }

  private parsed(version: string, ordering: VersionOrdering): { parsed?: unknown; error?: string } {
    const key = `${ordering.scheme}\u0000${version}`;
    let entry = this.versions.get(key);
    if (!entry) {
      try {
        entry = { parsed: ordering.parse(version) };
      } catch (error) {
        if (!(error instanceof InvalidVersionError)) throw error;
        entry = { error: error.message };
      }
      this.versions.set(key, entry);
    }
    return entry;
  }

  private prepared(range: AffectedRange, ordering: VersionOrdering): PreparedRange | UnorderableRangeError {
    let prepared = this.ranges.get(range);
    if (!prepared) {
      try {
        prepared = prepareRange(range, ordering);
      } catch (error) {
        if (!(error instanceof UnorderableRangeError)) throw error;
        prepared = error;
      }
      this.ranges.set(range, prepared);
    }
    return prepared;
  }

  match(pkg: MatchablePackage, candidates: readonly AdvisoryCandidate[], options: MatchOptions): VulnerabilityMatch[] {
    const installed = this.parsed(pkg.version, this.ordering);
    if (installed.error !== undefined) {
      this.stats.invalidVersions.push({ ref: pkg.ref, ecosystem: this.ecosystem, version: pkg.version, reason: installed.error });
    }
    const hits: Hit[] = [];
    for (const candidate of candidates) {
      const { advisory, affected } = candidate;
      if (advisory.withdrawn) {
        this.stats.withdrawnIgnored++;
        continue;
      }
      const hit = this.evaluate(pkg, installed.parsed, candidate);
      if (hit) hits.push(hit);
      else if (affected.versions.includes(pkg.version)) hits.push({ advisory, affected, listedVersion: pkg.version });
    }
    if (hits.length === 0) return [];
    const result: VulnerabilityMatch[] = [];
    for (const group of groupByAlias(hits, (hit) => [hit.advisory.id, ...hit.advisory.aliases])) {
      const match = this.merge(pkg, group.cve, group.ids, group.members);
      if (options.ignoreUnfixed && match.fixedVersion === undefined) continue;
      result.push(match);
    }
    return result;
  }

  /** The first range of the candidate that holds the installed version, with its fixed version. */
  private evaluate(pkg: MatchablePackage, installed: unknown, { advisory, affected }: AdvisoryCandidate): Hit | undefined {
    for (const range of affected.ranges) {
      if (range.type === 'GIT') {
        this.stats.gitRangesSkipped++;
        continue;
      }
      const ordering = range.type === 'SEMVER' ? this.semverOrdering : this.ordering;
      const version = ordering === this.ordering ? installed : this.parsed(pkg.version, ordering).parsed;
      if (version === undefined) continue;
      const prepared = this.prepared(range, ordering);
      if (prepared instanceof UnorderableRangeError) {
        this.stats.unorderableRanges.push({ advisoryId: advisory.id, ecosystem: this.ecosystem, name: affected.name, reason: prepared.message });
        continue;
      }
      const verdict = evaluateRange(prepared, version, ordering);
      if (verdict.affected) return { advisory, affected, range, ...(verdict.fixed !== undefined ? { fixed: verdict.fixed } : {}) };
    }
    return undefined;
  }

  private merge(pkg: MatchablePackage, cve: string | undefined, ids: Set<string>, hits: Hit[]): VulnerabilityMatch {
    const id = cve ?? preferredId([...ids]);
    const aliases = [...ids].filter((other) => other !== id).sort();
    // several records may name a fix: the highest one is fixed by all of them
    let fixedVersion: string | undefined;
    for (const hit of hits) {
      if (hit.fixed === undefined) continue;
      if (fixedVersion === undefined || this.compareText(hit.fixed, fixedVersion) > 0) fixedVersion = hit.fixed;
    }
    const status: AdvisoryStatus = fixedVersion !== undefined ? 'fixed' : (hits.map((h) => h.affected.status).find((s) => s !== undefined && s !== 'fixed') ?? 'affected');
    const severity = resolveSeverity(hits, severityOfCvssScore);
    const titled = hits.find((h) => h.advisory.id === id) ?? hits.find((h) => h.advisory.summary) ?? hits[0];
    const title = titled?.advisory.summary ?? firstLine(titled?.advisory.details) ?? id;
    return {
      ref: pkg.ref,
      id,
      aliases,
      severity: severity.severity,
      severitySource: severity.severitySource,
      title,
      installedVersion: pkg.version,
      ...(fixedVersion !== undefined ? { fixedVersion } : {}),
      status,
      evidence: hits.map((hit) => ({
        advisoryId: hit.advisory.id,
        source: hit.advisory.source,
        ...(hit.range ? { range: hit.range } : {}),
        ...(hit.listedVersion !== undefined ? { listedVersion: hit.listedVersion } : {}),
      })),
      ...(severity.cvssScore !== undefined ? { cvssScore: severity.cvssScore } : {}),
    };
  }

  private compareText(a: string, b: string): number {
    const pa = this.parsed(a, this.ordering).parsed;
    const pb = this.parsed(b, this.ordering).parsed;
    if (pa === undefined || pb === undefined) return 0;
    return this.ordering.compare(pa, pb);
  }
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
