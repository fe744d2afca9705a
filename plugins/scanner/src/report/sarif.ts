import type { Log, ReportingDescriptor, Result } from 'sarif';
import type { Severity } from '@bulkhead/plugin-sdk';
import { describeVulnerabilityScan } from './scan-status';
import type { ReportedFinding, ScanReport } from './scan-report';

/*
 * SARIF 2.1.0 (https://docs.oasis-open.org/sarif/sarif/v2.1.0/): one run, one rule per advisory
 * or secret rule, one result per finding. Levels and `security-severity` as Trivy writes them,
 * so GitHub code scanning ranks our results like Trivy's: CRITICAL and HIGH are `error`, MEDIUM
 * `warning`, the rest `note`. Locations are paths inside the image, relative to the image root
 * (uriBaseId ROOTPATH); a finding without a path points at the scanned artifact itself.
 */

export const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';

const LEVEL: Record<Severity, Result.level> = { CRITICAL: 'error', HIGH: 'error', MEDIUM: 'warning', LOW: 'note', INFO: 'note', UNKNOWN: 'note' };

/** GitHub's `security-severity` is a CVSS-like number; Trivy's mapping from severities. */
const SECURITY_SEVERITY: Record<Severity, string> = { CRITICAL: '9.5', HIGH: '8.0', MEDIUM: '5.5', LOW: '2.0', INFO: '0.0', UNKNOWN: '0.0' };

function ruleName(f: ReportedFinding): string {
  if (f.kind === 'secret') return 'Secret';
  if (f.kind === 'vulnerability') return 'purl' in f && f.purl && /^pkg:(deb|apk|rpm)\//.test(f.purl) ? 'OsPackageVulnerability' : 'LanguageSpecificPackageVulnerability';
  return 'Finding';
}

function helpUri(f: ReportedFinding): string | undefined {
  if (f.kind !== 'vulnerability') return undefined;
  if (/^CVE-\d+-\d+$/.test(f.id)) return `https://nvd.nist.gov/vuln/detail/${f.id}`;
  return `https://osv.dev/vulnerability/${encodeURIComponent(f.id)}`;
}

function describe(f: ReportedFinding): string {
  if (f.kind === 'vulnerability' && 'package' in f) {
    return [
      `Package: ${f.package ?? ''}`,
      `Installed Version: ${f.installedVersion ?? ''}`,
      `Vulnerability ${f.id}`,
      `Severity: ${f.severity}`,
      `Fixed Version: ${f.fixedVersion ?? ''}`,
      ...(f.aliases && f.aliases.length > 0 ? [`Aliases: ${f.aliases.join(', ')}`] : []),
    ].join('\n');
  }
  if (f.kind === 'secret') return `Artifact: ${locationPath(f) ?? ''}\nType: secret\nSecret ${f.title}\nSeverity: ${f.severity}`;
  return `${f.title}\nSeverity: ${f.severity}`;
}

function locationPath(f: ReportedFinding): string | undefined {
  return (f.location as { path?: string } | undefined)?.path;
}

export function formatSarif(report: ScanReport, tool: { version: string }): Log {
  const rules: ReportingDescriptor[] = [];
  const ruleIndex = new Map<string, number>();
  const results: Result[] = [];
  const artifactName = report.artifact.references[0] ?? report.artifact.digest;
  for (const f of report.findings) {
    let index = ruleIndex.get(f.id);
    if (index === undefined) {
      index = rules.length;
      ruleIndex.set(f.id, index);
      const uri = helpUri(f);
      rules.push({
        id: f.id,
        name: ruleName(f),
        shortDescription: { text: f.title || f.id },
        fullDescription: { text: f.title || f.id },
        defaultConfiguration: { level: LEVEL[f.severity] },
        ...(uri ? { helpUri: uri } : {}),
        help: { text: describe(f), markdown: `**${f.kind === 'secret' ? 'Secret' : 'Vulnerability'} ${f.id}**\n\n${describe(f).replace(/\n/g, '  \n')}` },
        properties: { precision: 'very-high', 'security-severity': SECURITY_SEVERITY[f.severity], tags: [f.kind, 'security', f.severity] },
      });
    }
    const path = locationPath(f);
    const line = (f.location as { line?: number } | undefined)?.line ?? 1;
    results.push({
      ruleId: f.id,
      ruleIndex: index,
      level: LEVEL[f.severity],
      message: { text: describe(f) },
      locations: [
        {
          physicalLocation: {
            artifactLocation: path ? { uri: encodeURI(path.replace(/^\/+/, '')), uriBaseId: 'ROOTPATH' } : { uri: encodeURI(artifactName) },
            region: { startLine: line, startColumn: 1, endLine: line, endColumn: 1 },
          },
          message: { text: `${path ?? artifactName}: ${'package' in f && f.package ? `${f.package}@${f.installedVersion ?? ''}` : f.id}` },
        },
      ],
    });
  }
  return {
    version: '2.1.0',
    $schema: SARIF_SCHEMA,
    runs: [
      {
        tool: { driver: { name: 'Bulkhead', fullName: 'Bulkhead container scanner', version: tool.version, rules } },
        originalUriBaseIds: { ROOTPATH: { uri: 'file:///' } },
        results,
        columnKind: 'utf16CodeUnits',
        properties: {
          imageID: report.artifact.digest,
          imageName: artifactName,
          repoDigests: report.artifact.manifestDigests,
          vulnerabilityScan: report.vulnerabilityScan.status,
          vulnerabilityScanDetail: describeVulnerabilityScan(report.vulnerabilityScan),
        },
        // A scan that could not check vulnerabilities says so where SARIF viewers show it.
        ...(report.vulnerabilityScan.status === 'no-advisory-data'
          ? { invocations: [{ executionSuccessful: false, toolExecutionNotifications: [{ level: 'error', message: { text: `Vulnerabilities ${describeVulnerabilityScan(report.vulnerabilityScan)}` } }] }] }
          : {}),
      },
    ],
  };
}
