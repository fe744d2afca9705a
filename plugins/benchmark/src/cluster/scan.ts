import { SEVERITIES, type FindingResult, type Severity } from '@bulkhead/plugin-sdk';
import { KubeApiClient } from './api-client';
import { connect, type ConnectOptions } from './connect';
import { ClusterInventory } from './inventory';
import { isTopLevelWorkload, LiveChecks, type LiveCheckOptions } from './live-checks';
import { clusterTarget, toWorkload, type Workload } from './model';
import type { InventoryNote } from './store';

export type SeverityCounts = Record<Severity, number>;

/** One top-level workload in the summary: its pods, the images they run, its findings by severity. */
export interface WorkloadSummary {
  namespace: string;
  kind: string;
  name: string;
  target: string;
  pods: number;
  podSecurityLevel: string | null;
  images: { image: string; digest: string | null }[];
  findings: SeverityCounts;
  failed: string[];
}

export interface NamespaceSummary {
  namespace: string;
  workloads: number;
  pods: number;
  findings: SeverityCounts;
}

/** `bulkhead cluster scan --format json` (docs/schemas/cluster-scan.schema.json). */
export interface ClusterScanReport {
  cluster: { server: string; context: string; source: string };
  summary: { namespaces: number; workloads: number; pods: number; objects: number; findings: SeverityCounts; failed: number; partial: boolean };
  namespaces: NamespaceSummary[];
  workloads: WorkloadSummary[];
  /** RBAC objects, NetworkPolicies and Services with findings. */
  resources: { kind: string; namespace: string; name: string; target: string; findings: SeverityCounts }[];
  findings: FindingResult[];
  notes: InventoryNote[];
}

export interface ClusterScanOptions extends ConnectOptions, Omit<LiveCheckOptions, 'cluster'> {
  namespaces?: readonly string[];
  onProgress?: (objects: number) => void;
}

function counts(findings: readonly FindingResult[]): SeverityCounts {
  const out = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as SeverityCounts;
  for (const f of findings) out[f.severity]++;
  return out;
}

/**
 * Lists the cluster once and runs the live checks over everything: the inline `bulkhead cluster
 * scan`. Nothing is stored; the report summarises per namespace and per top-level workload (as
 * `trivy k8s --report summary`), with every finding and what the inventory lacks.
 */
export async function scanCluster(options: ClusterScanOptions): Promise<ClusterScanReport> {
  const connection = await connect(options);
  const client = new KubeApiClient(connection);
  try {
    const inventory = new ClusterInventory(client, connection.server, { ...(options.namespaces ? { namespaces: options.namespaces } : {}), ...(options.onProgress ? { onListed: options.onProgress } : {}) });
    await inventory.list();
    const cluster = connection.context.replace(/[^a-z0-9.-]/gi, '-').toLowerCase() || 'cluster';
    const checks = new LiveChecks(inventory.objects, { cluster, ...(options.pss ? { pss: options.pss } : {}), ...(options.checks ? { checks: options.checks } : {}) });
    const reports = checks.evaluate(checks.allUnits());
    const byTarget = new Map(reports.map((r) => [r.target, r.findings]));
    const objects = [...inventory.objects.values()];
    const workloads = objects.filter((o) => o.kind !== 'Namespace' && o.kind !== 'Node').filter((o) => isTopLevelWorkload(o));
    const podsByRoot = new Map<string, Workload[]>();
    for (const pod of objects.filter((o) => o.kind === 'Pod')) {
      const w = toWorkload(cluster, pod, (uid) => inventory.objects.get(uid));
      const list = podsByRoot.get(w.root.uid);
      if (list) list.push(w);
      else podsByRoot.set(w.root.uid, [w]);
    }
    const summaries: WorkloadSummary[] = workloads
      .map((o) => {
        const w = toWorkload(cluster, o, (uid) => inventory.objects.get(uid));
        const findings = byTarget.get(w.target) ?? [];
        const pods = podsByRoot.get(w.uid) ?? [];
        // What runs: the pods' digests; a controller without pods shows its spec images.
        const running = pods.flatMap((p) => p.images).map((i) => ({ image: i.image, digest: i.digest }));
        const images = uniqueBy(running.length > 0 ? running : w.images.map((i) => ({ image: i.image, digest: i.digest })), (i) => `${i.image}@${i.digest ?? ''}`);
        return { namespace: w.namespace, kind: w.kind, name: w.name, target: w.target, pods: pods.length, podSecurityLevel: w.podSecurityLevel, images, findings: counts(findings), failed: [...new Set(findings.filter((f) => f.data?.['status'] === 'FAIL').map((f) => f.ruleId))].sort() };
      })
      .sort((a, b) => a.namespace.localeCompare(b.namespace) || a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name));
    const namespaces = [...new Set(summaries.map((s) => s.namespace))].sort().map((namespace) => {
      const mine = summaries.filter((s) => s.namespace === namespace);
      return { namespace, workloads: mine.length, pods: mine.reduce((n, s) => n + s.pods, 0), findings: counts(mine.flatMap((s) => byTarget.get(s.target) ?? [])) };
    });
    const workloadTargets = new Set(summaries.map((s) => s.target));
    const resources = objects
      .filter((o) => checks.isChecked(o) && !workloadTargets.has(clusterTarget(cluster, o)))
      .map((o) => ({ kind: o.kind, namespace: o.namespace, name: o.name, target: clusterTarget(cluster, o), findings: byTarget.get(clusterTarget(cluster, o)) ?? [] }))
      .filter((r) => r.findings.length > 0)
      .map((r) => ({ ...r, findings: counts(r.findings) }))
      .sort((a, b) => a.kind.localeCompare(b.kind) || a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name));
    const findings = reports.flatMap((r) => r.findings);
    return {
      cluster: { server: connection.server, context: connection.context, source: connection.source },
      summary: {
        namespaces: namespaces.length,
        workloads: summaries.length,
        pods: objects.filter((o) => o.kind === 'Pod').length,
        objects: objects.length,
        findings: counts(findings),
        failed: findings.filter((f) => f.data?.['status'] === 'FAIL').length,
        partial: inventory.notes.length > 0,
      },
      namespaces,
      workloads: summaries,
      resources,
      findings,
      notes: inventory.notes,
    };
  } finally {
    client.close();
  }
}

function uniqueBy<T>(items: readonly T[], key: (item: T) => string): T[] {
  const seen = new Map<string, T>();
  for (const item of items) if (!seen.has(key(item))) seen.set(key(item), item);
  return [...seen.values()];
}
