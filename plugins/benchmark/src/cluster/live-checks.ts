import type { FindingResult } from '@bulkhead/plugin-sdk';
import { evaluateManifests, type K8sCheckGroup } from '../k8s/evaluate';
import { objectRef, type ManifestObject } from '../k8s/load';
import { isWorkload, WORKLOAD_KINDS } from '../k8s/workloads';
import { toFindings } from '../report/findings';
import type { PssLevel } from '../pss/types';
import type { InventoryChange } from './inventory';
import { clusterTarget, controllerOf, type ClusterObject } from './model';

/** The producer of live-check findings: one (producer, scope = finding target) pair per object. */
export const CLUSTER_FINDING_PRODUCER = 'benchmark/cluster';

/** The findings of one object (finding target), complete: an empty list resolves what it had. */
export interface TargetReport {
  target: string;
  findings: FindingResult[];
}

export interface LiveCheckOptions {
  cluster: string;
  pss?: { level: PssLevel; version?: string };
  checks?: readonly K8sCheckGroup[];
}

const WORKLOAD_KIND_SET: ReadonlySet<string> = new Set(WORKLOAD_KINDS);
const RBAC_KINDS: ReadonlySet<string> = new Set(['Role', 'ClusterRole', 'RoleBinding', 'ClusterRoleBinding', 'ServiceAccount']);
const NAMESPACE_UNIT_KINDS: ReadonlySet<string> = new Set(['NetworkPolicy', 'Service']);

/**
 * A workload whose checks are its own: a Pod or controller no other workload controls (a Pod of a
 * ReplicaSet is checked through its Deployment, as `trivy k8s` reports it; a static pod, owned by
 * its Node, is checked itself).
 */
export function isTopLevelWorkload(o: ClusterObject): boolean {
  if (!isWorkload(o)) return false;
  const owner = controllerOf(o);
  return !owner || !WORKLOAD_KIND_SET.has(owner.kind);
}

/**
 * The benchmark plugin's Kubernetes checks (PSS, workload hardening, RBAC, NetworkPolicy) over
 * live objects, re-run for what a change touches. The objects are split into units whose
 * findings depend only on the unit's inputs, each finding target belonging to one unit:
 * - `w:<uid>`: a top-level workload, with the ServiceAccounts and NetworkPolicies of its
 *   namespace (PSS, hardening, service-account use, pod isolation) → findings on the workload;
 * - `ns:<namespace>`: its NetworkPolicies and Services, with its workloads → findings on policies and services;
 * - `rbac`: every Role, ClusterRole, binding and ServiceAccount (roles aggregate across namespaces).
 * A unit remembers the targets it reported, so a target that no longer has findings (fixed,
 * deleted) gets an empty, complete report.
 */
export class LiveChecks {
  private readonly reported = new Map<string, Set<string>>();

  constructor(
    private readonly objects: ReadonlyMap<string, ClusterObject>,
    private readonly options: LiveCheckOptions,
  ) {}

  /** Every unit: after a full list. */
  allUnits(): Set<string> {
    const units = new Set<string>(['rbac']);
    for (const o of this.objects.values()) for (const unit of this.unitsOf(o)) units.add(unit);
    return units;
  }

  /** The units a change touches. */
  affected(change: InventoryChange): Set<string> {
    const units = new Set<string>();
    for (const o of [...change.upserted, ...change.deleted]) {
      for (const unit of this.unitsOf(o)) units.add(unit);
      // A namespace's ServiceAccounts and NetworkPolicies are inputs of each of its workloads.
      if (o.kind === 'ServiceAccount' || o.kind === 'NetworkPolicy') {
        for (const w of this.objects.values()) if (w.namespace === o.namespace && isTopLevelWorkload(w)) units.add(`w:${w.uid}`);
      }
    }
    return units;
  }

  /** Re-evaluates units; one report per target whose unit ran (empty for targets that lost every finding). */
  evaluate(units: Iterable<string>): TargetReport[] {
    const out: TargetReport[] = [];
    for (const unit of units) {
      const byTarget = new Map<string, FindingResult[]>();
      for (const finding of this.evaluateUnit(unit)) {
        const list = byTarget.get(finding.target);
        if (list) list.push(finding);
        else byTarget.set(finding.target, [finding]);
      }
      for (const target of this.reported.get(unit) ?? []) if (!byTarget.has(target)) out.push({ target, findings: [] });
      for (const [target, findings] of byTarget) out.push({ target, findings });
      this.reported.set(unit, new Set(byTarget.keys()));
    }
    return out;
  }

  /** Finding targets of every object of the inventory (to settle targets of objects that have none). */
  targetOf(o: { kind: string; namespace: string; name: string }): string {
    return clusterTarget(this.options.cluster, o);
  }

  /** Whether the checks report on this object itself (a top-level workload, an RBAC object, a NetworkPolicy or Service). */
  isChecked(o: ClusterObject): boolean {
    return this.unitsOf(o).length > 0;
  }

  private unitsOf(o: ClusterObject): string[] {
    if (isWorkload(o)) return isTopLevelWorkload(o) ? [`w:${o.uid}`, `ns:${o.namespace}`] : [];
    if (RBAC_KINDS.has(o.kind)) return ['rbac'];
    if (NAMESPACE_UNIT_KINDS.has(o.kind)) return [`ns:${o.namespace}`];
    return [];
  }

  private evaluateUnit(unit: string): FindingResult[] {
    let inputs: ClusterObject[];
    let keep: (target: string, kind: string) => boolean;
    if (unit === 'rbac') {
      inputs = [...this.objects.values()].filter((o) => RBAC_KINDS.has(o.kind));
      keep = (_t, kind) => RBAC_KINDS.has(kind);
    } else if (unit.startsWith('w:')) {
      const w = this.objects.get(unit.slice(2));
      if (!w) return [];
      const own = objectRef(w);
      inputs = [w, ...[...this.objects.values()].filter((o) => o.namespace === w.namespace && (o.kind === 'ServiceAccount' || o.kind === 'NetworkPolicy'))];
      keep = (target) => target === own;
    } else {
      const namespace = unit.slice(3);
      inputs = [...this.objects.values()].filter((o) => o.namespace === namespace && (NAMESPACE_UNIT_KINDS.has(o.kind) || isTopLevelWorkload(o)));
      keep = (_t, kind) => NAMESPACE_UNIT_KINDS.has(kind);
    }
    if (inputs.length === 0) return [];
    const loaded = { objects: inputs.map(toManifestObject), errors: [], files: [] };
    const result = evaluateManifests(loaded, { ...(this.options.pss ? { pss: this.options.pss } : {}), ...(this.options.checks ? { checks: this.options.checks } : {}) });
    const prefix = `cluster/${this.options.cluster}/`;
    return toFindings(result.report.results)
      .filter((f) => keep(f.target, f.target.split('/')[0] ?? ''))
      .map((f) => ({ ...f, target: `${prefix}${f.target}`, data: { ...f.data, cluster: this.options.cluster } }));
  }
}

function toManifestObject(o: ClusterObject): ManifestObject {
  return { kind: o.kind, apiVersion: o.apiVersion, namespace: o.namespace, name: o.name, file: '', line: 0, object: o.object };
}
