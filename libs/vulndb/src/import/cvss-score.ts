import { Cvss3P0, Cvss3P1, Cvss4P0 } from 'ae-cvss-calculator';
import type { CvssScore } from '../model';

/*
 * The one place the importers turn a CVSS vector into a base score. The matcher helper owns
 * libs/vulndb/src/cvss (vector parsing for severity); once it lands this delegates there. Until
 * then it uses the same library (ae-cvss-calculator, pinned) so both give identical scores.
 */

/** Base metrics a vector must set; the library silently fills missing ones with `X`. */
const REQUIRED_METRICS: Readonly<Record<CvssScore['type'], readonly string[]>> = {
  CVSS_V3: ['AV', 'AC', 'PR', 'UI', 'S', 'C', 'I', 'A'],
  CVSS_V4: ['AV', 'AC', 'AT', 'PR', 'UI', 'VC', 'VI', 'VA', 'SC', 'SI', 'SA'],
};

/**
 * The CVSS base score of an OSV `severity[]` vector, or an error message when the vector is not
 * a complete CVSS vector of that type (wrong prefix, unknown metric value, missing base metric).
 */
export function cvssScore(type: CvssScore['type'], vector: string): { score: number } | { error: string } {
  const prefix = vector.slice(0, vector.indexOf('/') >>> 0);
  const expected = type === 'CVSS_V3' ? ['CVSS:3.0', 'CVSS:3.1'] : ['CVSS:4.0'];
  if (!expected.includes(prefix)) return { error: `${type} vector must start with ${expected.join(' or ')}: ${JSON.stringify(vector)}` };
  const metrics = new Set(
    vector
      .slice(prefix.length + 1)
      .split('/')
      .map((part) => part.slice(0, part.indexOf(':'))),
  );
  const missing = REQUIRED_METRICS[type].filter((m) => !metrics.has(m));
  if (missing.length > 0) return { error: `${type} vector lacks base metric ${missing.join(', ')}: ${JSON.stringify(vector)}` };
  try {
    const parsed = prefix === 'CVSS:3.0' ? new Cvss3P0(vector) : prefix === 'CVSS:3.1' ? new Cvss3P1(vector) : new Cvss4P0(vector);
    const base = parsed.calculateScores().base;
    if (typeof base !== 'number' || !Number.isFinite(base)) return { error: `${type} vector has no base score: ${JSON.stringify(vector)}` };
    return { score: base };
  } catch (error) {
    return { error: `${type} vector ${JSON.stringify(vector)}: ${(error as Error).message}` };
  }
}
