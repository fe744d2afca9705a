import { checkNetworkPolicies } from '../netpol/netpol';
import { evaluateWorkloads, pssCheckResults, type PssWorkloadResult } from '../pss/manifests';
import { parsePssLevel, parsePssVersion } from '../pss/evaluator';
import type { PssLevel } from '../pss/types';
import { checkRbac } from '../rbac/rbac';
import { benchmarkReport, type BenchmarkCheckResult, type BenchmarkReport } from '../report/model';
import type { LoadedManifests, ManifestError, ManifestObject } from './load';
import { isWorkload } from './workloads';
import { checkWorkloads, isWorkloadCheckTarget } from '../workload/workload';

export const K8S_CHECK_GROUPS = ['pss', 'rbac', 'netpol', 'workload'] as const;
export type K8sCheckGroup = (typeof K8S_CHECK_GROUPS)[number];

export interface K8sManifestOptions {
  /** PSS level and version; default baseline at latest. */
  pss?: { level: PssLevel; version?: string };
  /** Which check groups run; default all four. */
  checks?: readonly K8sCheckGroup[];
}

/** An object no selected check group looks at (e.g. a ConfigMap), listed so nothing is silently dropped. */
export interface SkippedObject {
  kind: string;
  namespace: string;
  name: string;
  file: string;
  line: number;
  reason: string;
}

export interface K8sManifestsResult {
  report: BenchmarkReport;
  /** Per-workload PSS outcome (present when `pss` ran). */
  pss?: { level: PssLevel; version: string; results: PssWorkloadResult[] };
  skipped: SkippedObject[];
  errors: ManifestError[];
  files: number;
  objects: number;
}

const RBAC_KINDS = new Set(['Role', 'ClusterRole', 'RoleBinding', 'ClusterRoleBinding', 'ServiceAccount']);

/** Runs the selected check groups over loaded manifests. */
export function evaluateManifests(loaded: LoadedManifests, options: K8sManifestOptions = {}): K8sManifestsResult {
  const groups = new Set(options.checks && options.checks.length > 0 ? options.checks : K8S_CHECK_GROUPS);
  const results: BenchmarkCheckResult[] = [];
  const out: K8sManifestsResult = { report: benchmarkReport('', []), skipped: [], errors: loaded.errors, files: loaded.files.length, objects: loaded.objects.length };

  if (groups.has('pss')) {
    const level = parsePssLevel(options.pss?.level ?? 'baseline');
    const version = options.pss?.version ?? 'latest';
    parsePssVersion(version);
    const pss = evaluateWorkloads(loaded.objects.filter(isWorkload), level, version);
    out.pss = { level, version, results: pss };
    results.push(...pssCheckResults(pss));
  }
  if (groups.has('rbac')) results.push(...checkRbac(loaded.objects));
  if (groups.has('netpol')) results.push(...checkNetworkPolicies(loaded.objects));
  if (groups.has('workload')) results.push(...checkWorkloads(loaded.objects));

  out.skipped = loaded.objects.filter((o) => !isCheckedBy(o, groups)).map((o) => skipped(o, groups));
  out.report = benchmarkReport(reportTitle(groups, out.pss), results);
  return out;
}

function isCheckedBy(o: ManifestObject, groups: ReadonlySet<K8sCheckGroup>): boolean {
  if (isWorkload(o)) return true; // PSS, RBAC (service account use) and NetworkPolicy all look at workloads
  if (groups.has('rbac') && RBAC_KINDS.has(o.kind)) return true;
  if (groups.has('netpol') && o.kind === 'NetworkPolicy') return true;
  if (groups.has('workload') && isWorkloadCheckTarget(o)) return true;
  return false;
}

function skipped(o: ManifestObject, groups: ReadonlySet<K8sCheckGroup>): SkippedObject {
  return { kind: o.kind, namespace: o.namespace, name: o.name, file: o.file, line: o.line, reason: `kind ${o.kind} is not evaluated by ${[...groups].join(', ')}` };
}

function reportTitle(groups: ReadonlySet<K8sCheckGroup>, pss?: { level: string; version: string }): string {
  const parts: string[] = [];
  if (groups.has('pss') && pss) parts.push(`Pod Security Standards ${pss.level}:${pss.version}`);
  if (groups.has('rbac')) parts.push('RBAC (CIS 5.1)');
  if (groups.has('netpol')) parts.push('NetworkPolicy');
  if (groups.has('workload')) parts.push('workload hardening');
  return `Kubernetes manifests: ${parts.join(', ')}`;
}
