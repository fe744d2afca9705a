import { usageError } from '@bulkhead/plugin-sdk/cli';
import { SEVERITIES } from '@bulkhead/plugin-sdk';
import { parsePssLevel } from '../pss/evaluator';
import { scanCluster, type ClusterScanReport, type SeverityCounts } from '../cluster/scan';
import { asUsage, parseExitCode, type BenchCommandOutput } from './bench-output';
import { parseChecks } from './k8s-command';

/** Options of `bulkhead cluster scan`, as commander parses them. */
export interface ClusterScanCommandOptions {
  kubeconfig?: string;
  context?: string;
  /** `--namespace N[,N]`: only these namespaces (their namespaced objects). */
  namespace?: string;
  pss?: string;
  checks?: string;
  format?: string;
  exitCode?: string;
  onProgress?: (fraction: number, message?: string) => void;
}

const FORMATS = ['table', 'json'] as const;
const NAMESPACE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/**
 * `bulkhead cluster scan` as a pure function: lists the cluster of the kubeconfig (or its
 * `--context`) once, runs the live checks and renders the summary per namespace and workload.
 * Exit code: `--exit-code` when any check FAILs; a partial inventory (forbidden namespaces) is
 * reported with notes, not an error. Connection problems (unreadable kubeconfig, unknown
 * context, 401) are errors (exit 1); bad options are usage errors (exit 2).
 */
export async function runClusterScan(options: ClusterScanCommandOptions): Promise<BenchCommandOutput> {
  const format = options.format ?? 'table';
  if (!(FORMATS as readonly string[]).includes(format)) throw usageError(`--format ${JSON.stringify(format)} is not one of ${FORMATS.join(', ')}`);
  const exitCode = parseExitCode(options.exitCode);
  const checks = parseChecks(options.checks, options.pss !== undefined);
  const level = options.pss === undefined ? undefined : asUsage(() => parsePssLevel(options.pss as string));
  const namespaces = options.namespace?.split(',').map((n) => n.trim()).filter(Boolean);
  const bad = namespaces?.find((n) => !NAMESPACE.test(n));
  if (bad !== undefined || (namespaces && namespaces.length === 0)) throw usageError(`--namespace ${JSON.stringify(options.namespace)}: expected namespace names (lowercase letters, digits and "-"), comma-separated`);
  const report = await scanCluster({
    ...(options.kubeconfig ? { kubeconfig: options.kubeconfig } : {}),
    ...(options.context ? { context: options.context } : {}),
    ...(namespaces ? { namespaces } : {}),
    ...(level ? { pss: { level } } : {}),
    checks,
    ...(options.onProgress ? { onProgress: (n: number) => options.onProgress?.(0.5, `listed ${n} objects`) } : {}),
  });
  const output = format === 'json' ? `${JSON.stringify(report, null, 2)}\n` : clusterTable(report);
  const notice = report.notes.length > 0 ? `warning: the inventory is partial: ${report.notes.length} ${report.notes.length === 1 ? 'list was' : 'lists were'} forbidden (see Notes)` : undefined;
  return { output, exitCode: report.summary.failed > 0 ? exitCode : 0, ...(notice ? { notice } : {}) };
}

const SHOWN: readonly (typeof SEVERITIES)[number][] = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW'];

function severityCells(c: SeverityCounts): string[] {
  return SHOWN.map((s) => String(c[s]));
}

function table(header: readonly string[], rows: readonly string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** The summary report, as `trivy k8s --report summary` lays it out: workloads, then other resources, then notes. */
export function clusterTable(report: ClusterScanReport): string {
  const s = report.summary;
  const out: string[] = [
    `Cluster: ${report.cluster.server} (context ${report.cluster.context})`,
    `${s.namespaces} namespaces, ${s.workloads} workloads, ${s.pods} pods, ${s.objects} objects; findings: ${SHOWN.map((sev) => `${sev} ${s.findings[sev]}`).join(', ')}${s.partial ? ' (partial inventory)' : ''}`,
    '',
    'Workload Assessment',
    table(['NAMESPACE', 'RESOURCE', 'PODS', 'PSS', ...SHOWN], report.workloads.map((w) => [w.namespace, `${w.kind}/${w.name}`, String(w.pods), w.podSecurityLevel ?? '-', ...severityCells(w.findings)])),
    '',
    'Namespace Summary',
    table(['NAMESPACE', 'WORKLOADS', 'PODS', ...SHOWN], report.namespaces.map((n) => [n.namespace, String(n.workloads), String(n.pods), ...severityCells(n.findings)])),
  ];
  if (report.resources.length > 0) {
    out.push('', 'Infra Assessment (RBAC, NetworkPolicy, Service)', table(['NAMESPACE', 'RESOURCE', ...SHOWN], report.resources.map((r) => [r.namespace || '-', `${r.kind}/${r.name}`, ...severityCells(r.findings)])));
  }
  if (report.notes.length > 0) {
    out.push('', 'Notes (partial inventory)', ...report.notes.map((n) => `- ${n.kind}${n.namespace ? ` in ${n.namespace}` : ''}: ${n.message}`));
  }
  return `${out.join('\n')}\n`;
}
