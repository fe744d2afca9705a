import type { CvssScore } from '../model';
import { scoreCvssVector } from '../cvss';

/*
 * The one place the importers turn an OSV `severity[]` vector into a base score. Scoring is the
 * matcher's CVSS module (strict base-metric validation, ae-cvss-calculator), so a vector scores
 * the same at import and at match time; this only adds the check that the vector's version
 * fits the OSV type it was filed under.
 */
export function osvCvssScore(type: CvssScore['type'], vector: string): { score: number } | { error: string } {
  try {
    const scored = scoreCvssVector(vector);
    if (scored.type !== type) return { error: `${type} entry holds a CVSS ${scored.version} vector: ${JSON.stringify(vector)}` };
    return { score: scored.baseScore };
  } catch (error) {
    return { error: (error as Error).message };
  }
}
