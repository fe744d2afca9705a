import type { Severity } from '@bulkhead/plugin-sdk';
import { ignoreRuleMatches, type IgnoreRule } from '@bulkhead/plugin-sdk/cli';
import { vexStatementFor, type VexDocument } from '../vex/vex';
import { summarize, type ReportedFinding, type ScanReport, type SuppressedFinding, type Suppression } from './scan-report';

/*
 * What the user asked to see, applied to a built report: --severity, --ignore-unfixed, the
 * ignore file and VEX statements. Filtering happens here, after the scan, for inline and
 * --server scans alike (a server stores everything it found; the client decides what to show).
 */

export interface ReportPolicy {
  /** Findings of these severities are reported; all when absent. */
  severities?: readonly Severity[];
  /** Drop vulnerabilities without a fixed version (status other than `fixed`). */
  ignoreUnfixed?: boolean;
  /** Ignore-file rules in force (the SDK's shared format: `.bulkheadignore`, `.trivyignore`). */
  ignore?: readonly IgnoreRule[];
  vex?: readonly VexDocument[];
  /** Keep the suppressed findings, with their reason, in `report.suppressed`. */
  showSuppressed?: boolean;
}

function idsOf(finding: ReportedFinding): string[] {
  return [finding.id, ...('aliases' in finding && finding.aliases ? finding.aliases : [])];
}

/** What an ignore rule's targets can name: the package (name or purl) and the file. */
function targetsOf(finding: ReportedFinding): string[] {
  const targets: string[] = [];
  if ('package' in finding && finding.package) targets.push(finding.package);
  if ('purl' in finding && finding.purl) targets.push(finding.purl);
  const file = (finding.location as { path?: string } | undefined)?.path;
  if (file) targets.push(file);
  return targets;
}

function suppressionOf(finding: ReportedFinding, policy: ReportPolicy, artifactNames: readonly string[]): Suppression | undefined {
  const ids = idsOf(finding);
  const rule = policy.ignore?.find((r) => ignoreRuleMatches(r, { ids, targets: targetsOf(finding) }));
  if (rule) return { by: 'ignore-file', source: rule.where, ...(rule.reason ? { statement: rule.reason } : {}), ...(rule.expires ? { expires: rule.expires } : {}) };
  if (policy.vex && policy.vex.length > 0 && finding.kind === 'vulnerability') {
    const purl = 'purl' in finding ? finding.purl : undefined;
    const statement = vexStatementFor(policy.vex, { ids, ...(purl ? { purl } : {}), artifactNames });
    if (statement?.suppresses) {
      return {
        by: 'vex',
        source: statement.source,
        status: statement.status,
        ...(statement.justification ? { justification: statement.justification } : {}),
        ...(statement.statement ? { statement: statement.statement } : {}),
      };
    }
  }
  return undefined;
}

/** Applies the policy: `findings` keeps what remains, `summary` counts it and what was dropped. */
export function applyReportPolicy(report: ScanReport, policy: ReportPolicy): ScanReport {
  const artifactNames = [report.artifact.digest, ...report.artifact.manifestDigests, ...report.artifact.references];
  const kept: ReportedFinding[] = [];
  const suppressed: SuppressedFinding[] = [];
  let filtered = 0;
  for (const finding of report.findings) {
    const unfixed = finding.kind === 'vulnerability' && 'status' in finding && finding.status !== 'fixed';
    if ((policy.severities && !policy.severities.includes(finding.severity)) || (policy.ignoreUnfixed && unfixed)) {
      filtered++;
      continue;
    }
    const suppression = suppressionOf(finding, policy, artifactNames);
    if (suppression) suppressed.push({ ...finding, suppression });
    else kept.push(finding);
  }
  const result: ScanReport = { ...report, findings: kept, summary: summarize(kept, suppressed.length, filtered) };
  if (policy.showSuppressed) result.suppressed = suppressed;
  else delete result.suppressed;
  return result;
}

/**
 * The exit code under `--exit-code N`: N when any finding remains (after the policy), or when
 * vulnerabilities were asked for but could not be checked (no advisory data). A gate that could
 * not look must not pass: that is the safe reading of a CI gate, and the report says why.
 * Trivy refuses to scan at all without its database; we still report the inventory and secrets,
 * and fail the gate with the same code the user chose for findings.
 */
export function exitCodeFor(report: ScanReport, exitCode: number): number {
  if (exitCode === 0) return 0;
  if (report.findings.length > 0) return exitCode;
  if (report.vulnerabilityScan.status === 'no-advisory-data') return exitCode;
  return 0;
}
