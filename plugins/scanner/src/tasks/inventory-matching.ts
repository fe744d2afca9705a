import type { FindingResult, ScopedFindings, StoredInventory } from '@bulkhead/plugin-sdk';
import { matchablePackage, matchPackagesWithStats, type AdvisoryLookup, type AdvisoryStore, type MatchablePackage, type MatchStats, type VulnerabilityMatch } from '@bulkhead/vulndb';
import { vulnerabilityFinding } from '../findings/finding-data';
import { VULNERABILITY_PRODUCER } from './advisory-task-types';

export interface InventoryMatchResult {
  /** One complete report per inventory: producer `scanner/vulnerability`, scope the image id. */
  reports: ScopedFindings[];
  packages: number;
  /** Distinct (ecosystem, name, version) matched: images share most of their packages. */
  distinctPackages: number;
  findings: number;
  stats: MatchStats;
}

/**
 * Matches stored inventories against the advisory store and turns the matches into findings,
 * one complete report per image (so a re-match resolves what no longer matches). Each distinct
 * (ecosystem, name, version) is matched once however many images hold it: ten thousand images
 * built on one base share almost all their packages.
 */
export async function matchInventories(inventories: readonly StoredInventory[], store: AdvisoryLookup | Pick<AdvisoryStore, 'candidates'>): Promise<InventoryMatchResult> {
  const distinct = new Map<string, MatchablePackage>();
  const keyOf = new Map<string, string>(); // stored package id -> matchable key
  let packages = 0;
  for (const inventory of inventories) {
    for (const pkg of inventory.packages) {
      packages++;
      const matchable = matchablePackage(pkg.id, pkg, inventory.os ?? undefined);
      if (!matchable) continue;
      const key = `${matchable.ecosystem}\u0000${matchable.name}\u0000${matchable.version}`;
      keyOf.set(pkg.id, key);
      if (!distinct.has(key)) distinct.set(key, { ...matchable, ref: key });
    }
  }
  const { matches, stats } = await matchPackagesWithStats([...distinct.values()], store);
  const byKey = new Map<string, VulnerabilityMatch[]>();
  for (const match of matches) byKey.set(match.ref, [...(byKey.get(match.ref) ?? []), match]);
  let findings = 0;
  const reports = inventories.map((inventory): ScopedFindings => {
    const found: FindingResult[] = [];
    for (const pkg of inventory.packages) {
      const key = keyOf.get(pkg.id);
      for (const match of key === undefined ? [] : (byKey.get(key) ?? [])) found.push(vulnerabilityFinding(inventory.digest, pkg, { ...match, ref: pkg.id }));
    }
    findings += found.length;
    return { report: { producer: VULNERABILITY_PRODUCER, scope: inventory.digest }, findings: found };
  });
  return { reports, packages, distinctPackages: distinct.size, findings, stats };
}
