import type { FindingResult, ScopedFindings, StoredInventory } from '@bulkhead/plugin-sdk';
import { matchablePackage, matchPackagesWithStats, type AdvisoryLookup, type AdvisoryStore, type MatchablePackage, type MatchStats, type PackageKey, type VulnerabilityMatch } from '@bulkhead/vulndb';
import { vulnerabilityFinding, vulnerabilityLocation } from '../findings/finding-data';
import { VULNERABILITY_PRODUCER } from './advisory-task-types';

export interface InventoryMatchResult {
  /**
   * One complete report per inventory: producer `scanner/vulnerability`, scope the image id.
   * When matching only some package keys: one report per inventory holding such a package,
   * complete over those packages' locations only (FindingReport.locations).
   */
  reports: ScopedFindings[];
  packages: number;
  /** Distinct (ecosystem, name, version) matched: images share most of their packages. */
  distinctPackages: number;
  findings: number;
  stats: MatchStats;
}

/** `ecosystem NUL name`: the key a package is matched under (AdvisoryStore.candidates). */
function keyOf(key: PackageKey): string {
  return `${key.ecosystem}\u0000${key.name}`;
}

/**
 * Matches stored inventories against the advisory store and turns the matches into findings,
 * one complete report per image (so a re-match resolves what no longer matches). Each distinct
 * (ecosystem, name, version) is matched once however many images hold it: ten thousand images
 * built on one base share almost all their packages.
 *
 * With `only`, only the packages matched under one of these keys are matched (those an advisory
 * change named: no other package's matches can have changed), and each image's report is
 * complete over those packages' locations only: its other findings are left as they are.
 */
export async function matchInventories(
  inventories: readonly StoredInventory[],
  store: AdvisoryLookup | Pick<AdvisoryStore, 'candidates'>,
  only?: readonly PackageKey[],
): Promise<InventoryMatchResult> {
  const wanted = only ? new Set(only.map(keyOf)) : undefined;
  const distinct = new Map<string, MatchablePackage>();
  const versionKeyOf = new Map<string, string>(); // stored package id -> matchable key
  const chosen = new Map<StoredInventory, StoredInventory['packages']>();
  let packages = 0;
  for (const inventory of inventories) {
    const kept: StoredInventory['packages'] = [];
    for (const pkg of inventory.packages) {
      const matchable = matchablePackage(pkg.id, pkg, inventory.os ?? undefined);
      if (wanted && !(matchable && wanted.has(keyOf(matchable)))) continue;
      packages++;
      kept.push(pkg);
      if (!matchable) continue;
      const key = `${matchable.ecosystem}\u0000${matchable.name}\u0000${matchable.version}`;
      versionKeyOf.set(pkg.id, key);
      if (!distinct.has(key)) distinct.set(key, { ...matchable, ref: key });
    }
    if (!wanted || kept.length > 0) chosen.set(inventory, kept);
  }
  const { matches, stats } = await matchPackagesWithStats([...distinct.values()], store);
  const byKey = new Map<string, VulnerabilityMatch[]>();
  for (const match of matches) byKey.set(match.ref, [...(byKey.get(match.ref) ?? []), match]);
  let findings = 0;
  const reports: ScopedFindings[] = [];
  for (const [inventory, kept] of chosen) {
    const found: FindingResult[] = [];
    for (const pkg of kept) {
      const key = versionKeyOf.get(pkg.id);
      for (const match of key === undefined ? [] : (byKey.get(key) ?? [])) found.push(vulnerabilityFinding(inventory.digest, pkg, { ...match, ref: pkg.id }));
    }
    findings += found.length;
    const scope = { producer: VULNERABILITY_PRODUCER, scope: inventory.digest };
    reports.push({ report: wanted ? { ...scope, locations: [...new Set(kept.map(vulnerabilityLocation))] } : scope, findings: found });
  }
  return { reports, packages, distinctPackages: distinct.size, findings, stats };
}
