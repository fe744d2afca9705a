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

function highest(records: readonly MatchedRecord[], type: CvssScore['type']): number | undefined {
  let best: number | undefined;
  for (const { advisory } of records) {
    for (const cvss of advisory.cvss) {
      if (cvss.type !== type) continue;
      const score = scoreOf(cvss);
      if (score !== undefined && (best === undefined || score > best)) best = score;
    }
  }
  return best;
}

export function resolveSeverity(records: readonly MatchedRecord[], severityOfScore: (score: number) => Severity): SeverityVerdict {
  const v3 = highest(records, 'CVSS_V3');
  const v4 = highest(records, 'CVSS_V4');
  const cvssScore = v3 !== undefined && v4 !== undefined ? Math.max(v3, v4) : (v3 ?? v4);
  const withScore = (verdict: SeverityVerdict): SeverityVerdict => (cvssScore !== undefined ? { ...verdict, cvssScore } : verdict);
  // an explicit UNKNOWN (Debian's "not yet assigned") says nothing: look further
  const distro = records.find((r) => r.affected.severity !== undefined && r.affected.severity !== 'UNKNOWN');
  if (distro?.affected.severity) return withScore({ severity: distro.affected.severity, severitySource: baseEcosystem(distro.affected.ecosystem).toLowerCase() });
  const database = records.find((r) => r.advisory.severity !== undefined && r.advisory.severity !== 'UNKNOWN');
  if (database?.advisory.severity) return withScore({ severity: database.advisory.severity, severitySource: databaseName(database.advisory) });
  if (v3 !== undefined) return withScore({ severity: severityOfScore(v3), severitySource: 'cvss-v3' });
  if (v4 !== undefined) return withScore({ severity: severityOfScore(v4), severitySource: 'cvss-v4' });
  return { severity: 'UNKNOWN', severitySource: 'none' };
}
