import { checkNetworkPolicies } from '../netpol/netpol';
import { evaluateWorkloads, pssCheckResults, type PssWorkloadResult } from '../pss/manifests';
import { parsePssLevel, parsePssVersion } from '../pss/evaluator';
import type { PssLevel } from '../pss/types';
import { checkRbac } from '../rbac/rbac';
import { benchmarkReport, type BenchmarkCheckResult, type BenchmarkReport } from '../report/model';
import { sourceOf, type LoadedManifests, type ManifestError, type ManifestObject, type SkippedFile } from './load';
import { locateResults } from './locate';
import { isWorkload } from './workloads';
import { checkWorkloads, isWorkloadCheckTarget } from '../workload/workload';

export const K8S_CHECK_GROUPS = ['pss', 'rbac', 'netpol', 'workload'] as const;
export type K8sCheckGroup = (typeof K8S_CHECK_GROUPS)[number];

export interface K8sManifestOptions {
  /** PSS level and version; default baseline at latest. */
  pss?: { level: PssLevel; version?: string };
  /** Which check groups run; default all four. */
  checks?: readonly K8sCheckGroup[];
  /**
   * The namespace objects without `metadata.namespace` would be applied to (`kubectl apply -n`);
   * default `default`. Cluster-scoped kinds keep no namespace.
   */
  namespace?: string;
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
  /** Files found in directories that hold no Kubernetes objects (workflows, compose files, Helm values). */
  skippedFiles: SkippedFile[];
  errors: ManifestError[];
  files: number;
  objects: number;
}

/** Kinds that live outside namespaces (they get no default namespace). */
const CLUSTER_SCOPED_KINDS: ReadonlySet<string> = new Set([
  'Namespace', 'Node', 'PersistentVolume', 'ClusterRole', 'ClusterRoleBinding', 'StorageClass', 'CustomResourceDefinition',
  'PriorityClass', 'RuntimeClass', 'IngressClass', 'CSIDriver', 'CSINode', 'VolumeAttachment', 'APIService', 'PodSecurityPolicy',
  'ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration', 'ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding',
  'CertificateSigningRequest', 'FlowSchema', 'PriorityLevelConfiguration', 'ComponentStatus',
]);

const RBAC_KINDS = new Set(['Role', 'ClusterRole', 'RoleBinding', 'ClusterRoleBinding', 'ServiceAccount']);

/** Runs the selected check groups over loaded manifests. */
export function evaluateManifests(loaded: LoadedManifests, options: K8sManifestOptions = {}): K8sManifestsResult {
  const groups = new Set(options.checks && options.checks.length > 0 ? options.checks : K8S_CHECK_GROUPS);
  const results: BenchmarkCheckResult[] = [];
  const namespace = options.namespace ?? 'default';
  const objects = loaded.objects.map((o) => (o.namespace !== '' || CLUSTER_SCOPED_KINDS.has(o.kind) ? o : { ...o, namespace }));
  const out: K8sManifestsResult = {
    report: benchmarkReport('', []),
    skipped: [],
    skippedFiles: loaded.skippedFiles ?? [],
    errors: loaded.errors,
    files: loaded.files.length,
    objects: objects.length,
  };

  if (groups.has('pss')) {
    const level = parsePssLevel(options.pss?.level ?? 'baseline');
    const version = options.pss?.version ?? 'latest';
    parsePssVersion(version);
    const pss = evaluateWorkloads(objects.filter(isWorkload), level, version);
    out.pss = { level, version, results: pss };
    results.push(...pssCheckResults(pss));
  }
  if (groups.has('rbac')) results.push(...checkRbac(objects));
  if (groups.has('netpol')) results.push(...checkNetworkPolicies(objects));
  if (groups.has('workload')) results.push(...checkWorkloads(objects));

  locateResults(results, objects, sourceOf);
  out.skipped = objects.filter((o) => !isCheckedBy(o, groups)).map((o) => skipped(o, groups));
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
