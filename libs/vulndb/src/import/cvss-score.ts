import type { CvssScore } from '../model';
import { scoreCvssVector } from '../cvss';

/*
 * The one place the importers turn an OSV `severity[]` vector into a base score. Scoring is the
 * matcher's CVSS module (strict base-metric validation, ae-cvss-calculator), so a vector scores
 * the same at import and at match time; this only adds the check that the vector's version
 * fits the OSV type it was filed under, and a cache: scoring one vector costs ~0.25 ms, and a
 * feed repeats a few thousand distinct vectors across hundreds of thousands of records.
 */

type Scored = { score: number } | { error: string };

const MAX_CACHED = 20_000;
const cache = new Map<string, Scored>();

export function osvCvssScore(type: CvssScore['type'], vector: string): Scored {
  const key = `${type} ${vector}`;
  const cached = cache.get(key);
  if (cached) return cached;
  const scored = score(type, vector);
  // Bounded: hostile input with millions of distinct vectors cannot grow it past MAX_CACHED.
  if (cache.size >= MAX_CACHED) cache.clear();
  cache.set(key, scored);
  return scored;
}

function score(type: CvssScore['type'], vector: string): Scored {
  try {
    const scored = scoreCvssVector(vector);
    if (scored.type !== type) return { error: `${type} entry holds a CVSS ${scored.version} vector: ${JSON.stringify(vector)}` };
    return { score: scored.baseScore };
  } catch (error) {
    return { error: (error as Error).message };
  }
}
