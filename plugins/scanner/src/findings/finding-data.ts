import type { FindingResult, PackageResult, Severity } from '@bulkhead/plugin-sdk';
import type { VulnerabilityMatch } from '@bulkhead/vulndb';

/*
 * The scanner's findings, one shape for every kind. Stored as SDK FindingResults (kind
 * `scanner`, the kind-specific part in `data`, discriminated by `data.findingType`), and printed
 * by every report as a ReportFinding. Both conversions live here so the CLI, the worker and the
 * re-matching task produce identical findings for the same package and advisory.
 */

export const SCANNER_FINDING_TYPES = ['vulnerability', 'secret'] as const;
export type ScannerFindingType = (typeof SCANNER_FINDING_TYPES)[number];

/** `FindingResult.data` of a vulnerability. */
export interface VulnerabilityFindingData {
  findingType: 'vulnerability';
  aliases: string[];
  package: { type: string; name: string; version: string; purl: string; path?: string };
  installedVersion: string;
  fixedVersion?: string;
  status: VulnerabilityMatch['status'];
  severitySource: string;
  cvssScore?: number;
  evidence: VulnerabilityMatch['evidence'];
  layer?: string;
}

/** `FindingResult.data` of a secret. The secret itself is never stored: `match` is redacted. */
export interface SecretFindingData {
  findingType: 'secret';
  category: string;
  /** The matched line with the secret replaced by `*`. */
  match: string;
  layer?: string;
  path: string;
  line: number;
  /** True when a later layer deleted or replaced the file: the secret is still in the image. */
  removedInLaterLayer?: boolean;
}

export type ScannerFindingData = VulnerabilityFindingData | SecretFindingData;

/** The location of a package's vulnerability findings: its purl, and the file it was read from. */
export function vulnerabilityLocation(pkg: Pick<PackageResult, 'purl' | 'path'>): string {
  return pkg.path ? `${pkg.purl} (${pkg.path})` : pkg.purl;
}

/** A vulnerability of an inventoried package in an artifact, as an SDK finding. */
export function vulnerabilityFinding(target: string, pkg: PackageResult, match: VulnerabilityMatch): FindingResult {
  const data: VulnerabilityFindingData = {
    findingType: 'vulnerability',
    aliases: match.aliases,
    package: { type: pkg.type, name: pkg.name, version: pkg.version, purl: pkg.purl, ...(pkg.path ? { path: pkg.path } : {}) },
    // The version installed, as the package manager shows it (a Debian binary package's own
    // version, epoch included), as Trivy reports it; the version compared (a Debian source
    // version) is in the evidence's range.
    installedVersion: pkg.version,
    ...(match.fixedVersion ? { fixedVersion: match.fixedVersion } : {}),
    status: match.status,
    severitySource: match.severitySource,
    ...(match.cvssScore !== undefined ? { cvssScore: match.cvssScore } : {}),
    evidence: match.evidence,
    ...(pkg.layer ? { layer: pkg.layer } : {}),
  };
  return {
    kind: 'scanner',
    severity: match.severity,
    ruleId: match.id,
    title: match.title,
    target,
    // One finding per advisory, package and file the package was read from.
    location: vulnerabilityLocation(pkg),
    data: data as unknown as Record<string, unknown>,
  };
}

/** One finding as `scan --format json` and the other reports print it; absent fields are omitted. */
export interface ReportFinding {
  kind: ScannerFindingType;
  id: string;
  aliases?: string[];
  severity: Severity;
  title: string;
  package?: string;
  purl?: string;
  installedVersion?: string;
  fixedVersion?: string;
  status?: string;
  location?: { layer?: string; path?: string; line?: number };
  /** Secrets: a later layer deleted or replaced the file; the secret is still in the image. */
  removedInLaterLayer?: boolean;
}

export function isScannerFindingData(data: unknown): data is ScannerFindingData {
  const type = (data as { findingType?: unknown } | undefined)?.findingType;
  return typeof type === 'string' && (SCANNER_FINDING_TYPES as readonly string[]).includes(type);
}

/** The report shape of a scanner finding, or undefined for findings of other producers. */
export function reportFinding(finding: Pick<FindingResult, 'severity' | 'ruleId' | 'title' | 'data'>): ReportFinding | undefined {
  const data = finding.data;
  if (!isScannerFindingData(data)) return undefined;
  if (data.findingType === 'vulnerability') {
    return {
      kind: 'vulnerability',
      id: finding.ruleId,
      aliases: data.aliases,
      severity: finding.severity,
      title: finding.title,
      package: data.package.name,
      purl: data.package.purl,
      installedVersion: data.installedVersion,
      ...(data.fixedVersion ? { fixedVersion: data.fixedVersion } : {}),
      status: data.status,
      location: { ...(data.layer ? { layer: data.layer } : {}), ...(data.package.path ? { path: data.package.path } : {}) },
    };
  }
  return {
    kind: 'secret',
    id: finding.ruleId,
    severity: finding.severity,
    title: finding.title,
    location: { ...(data.layer ? { layer: data.layer } : {}), path: data.path, line: data.line },
    ...(data.removedInLaterLayer ? { removedInLaterLayer: true } : {}),
  };
}
