import type { Advisory } from '../model';
import type { AdvisoryCandidate } from '../store/advisory-store';
import type { AdvisoryLookup } from './matcher';

/**
 * An AdvisoryLookup over advisories held in memory, indexed by ecosystem and name: for
 * matching a small, already-loaded set (an SBOM's embedded advisories, tests, benchmarks).
 * Stores answer the same question from their indexes.
 */
export function inMemoryLookup(advisories: Iterable<Advisory>): AdvisoryLookup & { calls: number } {
  const index = new Map<string, Map<string, AdvisoryCandidate[]>>();
  for (const advisory of advisories) {
    for (const affected of advisory.affected) {
      let byName = index.get(affected.ecosystem);
      if (!byName) index.set(affected.ecosystem, (byName = new Map()));
      const list = byName.get(affected.name);
      if (list) list.push({ advisory, affected });
      else byName.set(affected.name, [{ advisory, affected }]);
    }
  }
  const lookup = async (ecosystem: string, names: readonly string[]): Promise<Map<string, AdvisoryCandidate[]>> => {
    lookup.calls++;
    const byName = index.get(ecosystem);
    const found = new Map<string, AdvisoryCandidate[]>();
    if (byName) {
      for (const name of names) {
        const list = byName.get(name);
        if (list) found.set(name, list);
      }
    }
    return found;
  };
  lookup.calls = 0;
  return lookup;
}
