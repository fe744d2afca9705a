import { SEVERITIES } from '@bulkhead/plugin-sdk';
import type { ReportFinding } from '../findings/finding-data';
import { describeSecretScan, describeVulnerabilityScan } from './scan-status';
import type { ReportedFinding, ScanReport, SeverityCounts, SuppressedFinding } from './scan-report';

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

function shortDigest(digest: string | null | undefined): string {
  return digest ? digest.replace(/^(sha256:)?([a-f0-9]{12})[a-f0-9]*$/, '$2') : '-';
}

/** Control characters in data (titles, paths from the image) must not drive the terminal. */
function clean(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ');
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

function counts(byseverity: SeverityCounts): string {
  const total = Object.values(byseverity).reduce((a, b) => a + b, 0);
  const parts = SEVERITIES.filter((s) => byseverity[s] > 0).map((s) => `${s}: ${byseverity[s]}`);
  return `${total}${parts.length > 0 ? ` (${parts.join(', ')})` : ''}`;
}

function isVulnerability(f: ReportedFinding): f is ReportFinding & { kind: 'vulnerability' } {
  return f.kind === 'vulnerability';
}

function isSecret(f: ReportedFinding): f is ReportFinding & { kind: 'secret' } {
  return f.kind === 'secret';
}

function where(f: ReportedFinding): string {
  const l = f.location as { layer?: string; path?: string; line?: number } | undefined;
  if (!l?.path) return '';
  return `${l.path}${l.line !== undefined ? `:${l.line}` : ''}`;
}

function vulnerabilityRows(findings: readonly ReportedFinding[]): string[][] {
  return findings
    .filter(isVulnerability)
    .map((f) => [f.package ?? '', f.id, f.severity, f.status ?? '', f.installedVersion ?? '', f.fixedVersion ?? '', truncate(f.title, 80)].map(clean));
}

function suppressionText(f: SuppressedFinding): string {
  const s = f.suppression;
  const parts = [s.by === 'vex' ? `VEX ${s.status ?? ''}`.trim() : 'ignore file', s.justification, s.statement, s.expires ? `until ${s.expires}` : undefined, s.source];
  return parts.filter((p): p is string => !!p).join(': ');
}

export interface TableOptions {
  /** List every package (the inventory), as before vulnerability scanning existed. */
  listPackages?: boolean;
}

/**
 * The terminal report: the artifact's facts, counts by severity, then the vulnerability table
 * (package, id, severity, status, installed, fixed, title), then the secrets, then (when asked)
 * the suppressed findings with their reasons and the package inventory.
 */
export function formatScanTable(report: ScanReport, options: TableOptions = {}): string {
  const { artifact } = report;
  const typeCounts = new Map<string, number>();
  for (const p of report.packages) typeCounts.set(p.type, (typeCounts.get(p.type) ?? 0) + 1);
  const byType = [...typeCounts].map(([type, n]) => `${type}: ${n}`).join(', ');
  const vuln = report.vulnerabilityScan;
  const facts: string[][] = [
    ['Artifact', artifact.digest],
    ...(artifact.manifestDigests.length > 0 ? [['Manifests', artifact.manifestDigests.join(', ')]] : []),
    ['References', artifact.references.join(', ') || '-'],
    ['OS', artifact.os ? `${artifact.os.family} ${artifact.os.version}` : 'unknown'],
    ['Layers', `${artifact.layers.length} (${humanSize(artifact.size)})`],
    ['Packages', `${report.packages.length}${byType ? ` (${byType})` : ''}`],
    ['Vulnerabilities', vuln.status === 'checked' ? counts(report.summary.vulnerabilities) : describeVulnerabilityScan(vuln)],
    ['Secrets', report.secretScan.status === 'checked' ? counts(report.summary.secrets) : describeSecretScan(report.secretScan)],
  ];
  const others = report.findings.filter((f) => !isVulnerability(f) && !isSecret(f));
  if (others.length > 0) facts.push(['Other findings', String(others.length)]);
  if (report.summary.suppressed > 0) facts.push(['Suppressed', `${report.summary.suppressed} (VEX or ignore file${report.suppressed ? '' : '; --show-suppressed lists them'})`]);
  if (report.summary.filtered > 0) facts.push(['Filtered', `${report.summary.filtered} (--severity / --ignore-unfixed)`]);
  if (vuln.status === 'checked') facts.push(['Advisories', describeVulnerabilityScan(vuln)]);
  const sections = [
    table(['', ''], facts.map((r) => r.map(clean)))
      .split('\n')
      .slice(2)
      .join('\n'),
  ];
  // The line a user must not miss: no advisory data is not a clean result.
  if (vuln.status === 'no-advisory-data') sections.push(`Vulnerabilities: ${describeVulnerabilityScan(vuln)}`);

  const vulnerabilities = vulnerabilityRows(report.findings);
  if (vulnerabilities.length > 0) sections.push(`Vulnerabilities\n${table(['PACKAGE', 'ID', 'SEVERITY', 'STATUS', 'INSTALLED', 'FIXED', 'TITLE'], vulnerabilities)}`);
  const secrets = report.findings.filter(isSecret).map((f) => [f.severity, f.id, where(f), shortDigest(f.location?.layer), truncate(f.title, 60)].map(clean));
  if (secrets.length > 0) sections.push(`Secrets\n${table(['SEVERITY', 'RULE', 'PATH', 'LAYER', 'TITLE'], secrets)}`);
  if (others.length > 0) sections.push(`Other findings\n${table(['SEVERITY', 'KIND', 'ID', 'LOCATION', 'TITLE'], others.map((f) => [f.severity, f.kind, f.id, where(f), truncate(f.title, 60)].map(clean)))}`);
  if (report.suppressed && report.suppressed.length > 0) {
    sections.push(
      `Suppressed\n${table(
        ['PACKAGE', 'ID', 'SEVERITY', 'REASON'],
        report.suppressed.map((f) => [('package' in f ? f.package : undefined) ?? where(f), f.id, f.severity, suppressionText(f)].map(clean)),
      )}`,
    );
  }
  if (options.listPackages && report.packages.length > 0) {
    sections.push(
      table(
        ['TYPE', 'NAME', 'VERSION', 'SOURCE', 'LAYER'],
        report.packages.map((p) => [p.type, p.name, p.version, p.sourceName === p.name && p.sourceVersion === p.version ? '' : `${p.sourceName} ${p.sourceVersion}`, shortDigest(p.layer)].map(clean)),
      ),
    );
  }
  return `${sections.join('\n\n')}\n`;
}
