import type { ArtifactResult, FindingResult, PackageResult } from '@bulkhead/plugin-sdk';
import { reportFinding, type ReportFinding } from '../findings/finding-data';
import type { SecretScanStatus, VulnerabilityScanStatus } from './scan-status';

/** The scan report the CLI prints as JSON (`--format json`); schemaVersion bumps on breaking change. */
export interface ScanReport {
  schemaVersion: 1;
  artifact: {
    /** Image id (config digest); for a root file system, its content digest. */
    digest: string;
    /** Manifest digests the image is known by (sorted; empty for a legacy docker-archive or a root file system). */
    manifestDigests: string[];
    os: { family: string; version: string } | null;
    references: string[];
    size: number;
    layers: { digest: string; diffId: string | null; size: number; mediaType: string | null }[];
  };
  packages: ReportPackage[];
  /** The findings that remain after --severity, --ignore-unfixed, the ignore file and VEX. */
  findings: ReportedFinding[];
  /** Whether vulnerabilities were checked, and against what: never a silent empty list. */
  vulnerabilityScan: VulnerabilityScanStatus;
  secretScan: SecretScanStatus;
  /** Counts of `findings` by kind and severity, and of the findings suppressed or filtered out. */
  summary: ReportSummary;
  /** Findings a VEX statement or the ignore file suppressed, with the reason (--show-suppressed). */
  suppressed?: SuppressedFinding[];
}

/** A finding of another plugin's analyzer (an extension): the same fields as far as they apply. */
export interface OtherFinding {
  kind: string;
  id: string;
  severity: ReportFinding['severity'];
  title: string;
  location?: { path?: string };
}

export type ReportedFinding = ReportFinding | OtherFinding;

/** Why a finding is not reported: a VEX statement or an ignore-file entry. */
export interface Suppression {
  by: 'vex' | 'ignore-file';
  /** The VEX document or ignore file. */
  source: string;
  /** VEX status (`not_affected`, `fixed`, CycloneDX `false_positive` ...). */
  status?: string;
  justification?: string;
  /** OpenVEX impact_statement / CycloneDX analysis.detail. */
  statement?: string;
  /** Ignore-file entry's `exp:` date. */
  expires?: string;
}

export type SuppressedFinding = ReportedFinding & { suppression: Suppression };

export type SeverityCounts = Record<ReportFinding['severity'], number>;

export interface ReportSummary {
  vulnerabilities: SeverityCounts;
  secrets: SeverityCounts;
  suppressed: number;
  /** Dropped by --severity or --ignore-unfixed. */
  filtered: number;
}

export interface ReportPackage {
  type: string;
  name: string;
  version: string;
  sourceName: string;
  sourceVersion: string;
  purl: string;
  layer: string | null;
  /** The file the package was read from, root-relative (lockfile, METADATA, dpkg status). */
  path: string | null;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Builds the deterministic JSON report: fixed key order, packages sorted by type, name, version
 * and purl, findings by rule, target and location; absent values are `null`, never missing keys.
 */
export function buildScanReport(input: {
  artifact: ArtifactResult;
  packages: readonly PackageResult[];
  findings: readonly FindingResult[];
  vulnerabilityScan: VulnerabilityScanStatus;
  secretScan: SecretScanStatus;
}): ScanReport {
  const { artifact } = input;
  const packages = input.packages
    .map(
      (p): ReportPackage => ({
        type: p.type,
        name: p.name,
        version: p.version,
        sourceName: p.sourceName ?? p.name,
        sourceVersion: p.sourceVersion ?? p.version,
        purl: p.purl,
        layer: p.layer ?? null,
        path: p.path ?? null,
      }),
    )
    .sort((a, b) => compare(a.type, b.type) || compare(a.name, b.name) || compare(a.version, b.version) || compare(a.purl, b.purl) || compare(a.path ?? '', b.path ?? ''));
  const findings = sortFindings(input.findings.map(toReportedFinding));
  return {
    schemaVersion: 1,
    artifact: {
      digest: artifact.digest,
      manifestDigests: [...new Set(artifact.manifestDigests ?? [])].sort(),
      os: artifact.os ? { family: artifact.os.family, version: artifact.os.version } : null,
      references: [...artifact.references],
      size: artifact.size,
      layers: artifact.layers.map((l) => ({ digest: l.digest, diffId: l.diffId ?? null, size: l.size, mediaType: l.mediaType ?? null })),
    },
    packages,
    findings,
    vulnerabilityScan: input.vulnerabilityScan,
    secretScan: input.secretScan,
    summary: summarize(findings, 0, 0),
  };
}

/** A stored or emitted finding as reports print it (scanner findings in the ReportFinding shape). */
export function toReportedFinding(finding: FindingResult): ReportedFinding {
  return (
    reportFinding(finding) ?? {
      kind: finding.kind,
      id: finding.ruleId,
      severity: finding.severity,
      title: finding.title,
      ...(finding.location ? { location: { path: finding.location } } : {}),
    }
  );
}

function locationKey(f: ReportedFinding): string {
  const l = f.location as { layer?: string; path?: string; line?: number } | undefined;
  return `${l?.path ?? ''}\u0000${String(l?.line ?? 0).padStart(10, '0')}\u0000${l?.layer ?? ''}`;
}

/** Vulnerabilities first (by package, then id), then secrets (by path and line), then the rest. */
export function sortFindings<T extends ReportedFinding>(findings: readonly T[]): T[] {
  const kindOrder = (kind: string): number => (kind === 'vulnerability' ? 0 : kind === 'secret' ? 1 : 2);
  const pkg = (f: ReportedFinding): string => ('package' in f ? `${f.package ?? ''}\u0000${f.purl ?? ''}` : '');
  return [...findings].sort(
    (a, b) => kindOrder(a.kind) - kindOrder(b.kind) || compare(a.kind, b.kind) || compare(pkg(a), pkg(b)) || compare(locationKey(a), locationKey(b)) || compare(a.id, b.id) || compare(a.title, b.title),
  );
}

export function emptyCounts(): SeverityCounts {
  return { CRITICAL: 0, HIGH: 0, MEDIUM: 0, LOW: 0, INFO: 0, UNKNOWN: 0 };
}

export function summarize(findings: readonly ReportedFinding[], suppressed: number, filtered: number): ReportSummary {
  const summary: ReportSummary = { vulnerabilities: emptyCounts(), secrets: emptyCounts(), suppressed, filtered };
  for (const f of findings) {
    if (f.kind === 'vulnerability') summary.vulnerabilities[f.severity]++;
    else if (f.kind === 'secret') summary.secrets[f.severity]++;
  }
  return summary;
}

