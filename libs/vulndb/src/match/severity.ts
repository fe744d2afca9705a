import type { Severity } from '@bulkhead/plugin-sdk';
import { baseEcosystem } from '../ecosystem';
import { scoreCvssVector } from '../cvss/cvss';
import type { Advisory, AffectedPackage, CvssScore } from '../model';

/*
 * Severity of a merged match, in Trivy's order of trust: the distribution's own rating of the
 * package (Debian urgency, Ubuntu priority, given on the affected entry), else the database's
 * rating (GHSA's severity), else the CVSS base score (v3.x, else v4.0) of the vectors, else
 * UNKNOWN. `severitySource` says which.
 */

export interface MatchedRecord {
  advisory: Advisory;
  affected: AffectedPackage;
}

export interface SeverityVerdict {
  severity: Severity;
  severitySource: string;
  cvssScore?: number;
}

function scoreOf(cvss: CvssScore): number | undefined {
  if (Number.isFinite(cvss.score)) return cvss.score;
  try {
    return scoreCvssVector(cvss.vector).baseScore;
  } catch {
    return undefined;
  }
}

function databaseName(advisory: Advisory): string {
  if (advisory.id.startsWith('GHSA-') || advisory.aliases.some((a) => a.startsWith('GHSA-'))) return 'ghsa';
  return advisory.source;
}

export function resolveSeverity(records: readonly MatchedRecord[], severityOfScore: (score: number) => Severity): SeverityVerdict {
  // one pass: the first distro and database ratings, the highest v3 and v4 scores
  let distro: MatchedRecord | undefined;
  let database: MatchedRecord | undefined;
  let v3: number | undefined;
  let v4: number | undefined;
  for (const record of records) {
    // an explicit UNKNOWN (Debian's "not yet assigned") says nothing: look further
    if (!distro && record.affected.severity !== undefined && record.affected.severity !== 'UNKNOWN') distro = record;
    if (!database && record.advisory.severity !== undefined && record.advisory.severity !== 'UNKNOWN') database = record;
    for (const cvss of record.advisory.cvss) {
      const score = scoreOf(cvss);
      if (score === undefined) continue;
      if (cvss.type === 'CVSS_V3') v3 = v3 === undefined ? score : Math.max(v3, score);
      else if (cvss.type === 'CVSS_V4') v4 = v4 === undefined ? score : Math.max(v4, score);
    }
  }
  let verdict: SeverityVerdict;
  if (distro?.affected.severity) verdict = { severity: distro.affected.severity, severitySource: baseEcosystem(distro.affected.ecosystem).toLowerCase() };
  else if (database?.advisory.severity) verdict = { severity: database.advisory.severity, severitySource: databaseName(database.advisory) };
  else if (v3 !== undefined) verdict = { severity: severityOfScore(v3), severitySource: 'cvss-v3' };
  else if (v4 !== undefined) verdict = { severity: severityOfScore(v4), severitySource: 'cvss-v4' };
  else verdict = { severity: 'UNKNOWN', severitySource: 'none' };
  const cvssScore = v3 !== undefined && v4 !== undefined ? Math.max(v3, v4) : (v3 ?? v4);
  if (cvssScore !== undefined) verdict.cvssScore = cvssScore;
  return verdict;
}
