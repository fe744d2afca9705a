import type { ArtifactResult, FindingResult, PackageResult } from '@bulkhead/plugin-sdk';

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
  findings: FindingResult[];
}

export interface ReportPackage {
  type: string;
  name: string;
  version: string;
  sourceName: string;
  sourceVersion: string;
  purl: string;
  layer: string | null;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Builds the deterministic JSON report: fixed key order, packages sorted by type, name, version
 * and purl, findings by rule, target and location; absent values are `null`, never missing keys.
 */
export function buildScanReport(input: { artifact: ArtifactResult; packages: readonly PackageResult[]; findings: readonly FindingResult[] }): ScanReport {
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
      }),
    )
    .sort((a, b) => compare(a.type, b.type) || compare(a.name, b.name) || compare(a.version, b.version) || compare(a.purl, b.purl));
  const findings = [...input.findings].sort(
    (a, b) => compare(a.ruleId, b.ruleId) || compare(a.target, b.target) || compare(a.location ?? '', b.location ?? '') || compare(a.title, b.title),
  );
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
  };
}

function humanSize(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`;
}

function shortDigest(digest: string | null): string {
  return digest ? digest.replace(/^(sha256:)?([a-f0-9]{12})[a-f0-9]*$/, '$2') : '-';
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** A readable summary for terminals: artifact facts, counts by package type, then the packages. */
export function formatScanTable(report: ScanReport): string {
  const { artifact } = report;
  const counts = new Map<string, number>();
  for (const p of report.packages) counts.set(p.type, (counts.get(p.type) ?? 0) + 1);
  const byType = [...counts].map(([type, n]) => `${type}: ${n}`).join(', ');
  const summary = table(
    ['', ''],
    [
      ['Artifact', artifact.digest],
      ...(artifact.manifestDigests.length > 0 ? [['Manifests', artifact.manifestDigests.join(', ')]] : []),
      ['References', artifact.references.join(', ') || '-'],
      ['OS', artifact.os ? `${artifact.os.family} ${artifact.os.version}` : 'unknown'],
      ['Layers', `${artifact.layers.length} (${humanSize(artifact.size)})`],
      ['Packages', `${report.packages.length}${byType ? ` (${byType})` : ''}`],
      ['Findings', String(report.findings.length)],
    ],
  )
    .split('\n')
    .slice(2)
    .join('\n');
  if (report.packages.length === 0) return `${summary}\n`;
  const packages = table(
    ['TYPE', 'NAME', 'VERSION', 'SOURCE', 'LAYER'],
    report.packages.map((p) => [p.type, p.name, p.version, p.sourceName === p.name && p.sourceVersion === p.version ? '' : `${p.sourceName} ${p.sourceVersion}`, shortDigest(p.layer)]),
  );
  return `${summary}\n\n${packages}\n`;
}
