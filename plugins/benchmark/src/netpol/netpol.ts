import { objectRef, type ManifestObject } from '../k8s/load';
import { obj, objs, stringMap, strs } from '../k8s/objects';
import { compileSelector, type LabelMatcher } from '../k8s/selectors';
import { podTemplateOf } from '../k8s/workloads';
import type { BenchmarkCheckResult } from '../report/model';

/**
 * NetworkPolicy coverage with kube-score's grading (score/networkpolicy): `pod-networkpolicy`
 * grades each pod and workload pod template by whether some policy in its namespace isolates
 * its ingress and egress; `networkpolicy-targets-pod` grades each policy by whether it selects
 * any pod. Namespaces compare as written (an unset namespace equals only an unset namespace),
 * as kube-score does for manifests.
 */
export const NETPOL_BENCHMARK = 'k8s-netpol';

interface PodLike {
  source: ManifestObject;
  namespace: string;
  labels: Record<string, string>;
}

interface PolicyCoverage {
  ingress: boolean;
  egress: boolean;
}

/** Which directions a policy isolates; defaulting as the API does when policyTypes is empty. */
export function policyCoverage(policy: ManifestObject): PolicyCoverage {
  const spec = obj(policy.object['spec']) ?? {};
  const types = strs(spec['policyTypes']);
  if (types.length === 0) return { ingress: true, egress: objs(spec['egress']).length > 0 };
  return { ingress: types.includes('Ingress'), egress: types.includes('Egress') };
}

function podsOf(objects: readonly ManifestObject[]): PodLike[] {
  const pods: PodLike[] = [];
  for (const o of objects) {
    const template = podTemplateOf(o);
    if (!template) continue;
    // A workload's pods are created in the workload's namespace.
    pods.push({ source: o, namespace: o.namespace, labels: stringMap(template.metadata['labels']) });
  }
  return pods;
}

interface CompiledPolicy {
  source: ManifestObject;
  matches: LabelMatcher;
  coverage: PolicyCoverage;
}

/** Groups items by namespace: policies only ever select pods of their own namespace. */
function byNamespace<T>(items: readonly T[], ns: (item: T) => string): Map<string, T[]> {
  const map = new Map<string, T[]>();
  for (const item of items) {
    const list = map.get(ns(item));
    if (list) list.push(item);
    else map.set(ns(item), [item]);
  }
  return map;
}

export function checkNetworkPolicies(objects: readonly ManifestObject[]): BenchmarkCheckResult[] {
  const policies: CompiledPolicy[] = objects
    .filter((o) => o.kind === 'NetworkPolicy')
    .map((o) => ({ source: o, matches: compileSelector(obj(obj(o.object['spec'])?.['podSelector']) ?? {}), coverage: policyCoverage(o) }));
  const pods = podsOf(objects);
  const policiesByNs = byNamespace(policies, (p) => p.source.namespace);
  const podsByNs = byNamespace(pods, (p) => p.namespace);
  const results: BenchmarkCheckResult[] = [];

  for (const pod of pods) {
    let ingress = false;
    let egress = false;
    const matching: string[] = [];
    for (const policy of policiesByNs.get(pod.namespace) ?? []) {
      if (!policy.matches(pod.labels)) continue;
      matching.push(policy.source.name);
      ingress ||= policy.coverage.ingress;
      egress ||= policy.coverage.egress;
    }
    const base = {
      checkId: 'pod-networkpolicy',
      title: 'Pod NetworkPolicy',
      target: objectRef(pod.source),
      file: pod.source.file,
      line: pod.source.line,
      benchmark: NETPOL_BENCHMARK,
      data: { ingressIsolated: ingress, egressIsolated: egress, policies: matching },
    };
    if (ingress && egress) {
      results.push({ ...base, status: 'PASS', severity: 'INFO', message: `ingress and egress are isolated by ${matching.join(', ')}` });
    } else if (ingress || egress) {
      const missing = ingress ? 'egress' : 'ingress';
      results.push({
        ...base,
        status: 'WARN',
        severity: 'MEDIUM',
        message: `the pod has a matching NetworkPolicy, but it does not isolate ${missing} traffic`,
        remediation: `add ${missing === 'egress' ? 'Egress' : 'Ingress'} to policyTypes of a NetworkPolicy that selects the pod`,
      });
    } else {
      results.push({
        ...base,
        status: 'FAIL',
        severity: 'HIGH',
        message: 'the pod does not have a matching NetworkPolicy',
        remediation: 'create a NetworkPolicy in the same namespace that selects the pod and isolates ingress and egress',
      });
    }
  }

  for (const { source: policy, matches } of policies) {
    const targets = (podsByNs.get(policy.namespace) ?? []).filter((p) => matches(p.labels));
    const base = {
      checkId: 'networkpolicy-targets-pod',
      title: 'NetworkPolicy targets Pod',
      target: objectRef(policy),
      file: policy.file,
      line: policy.line,
      benchmark: NETPOL_BENCHMARK,
      data: { targets: targets.map((t) => objectRef(t.source)) },
    };
    if (targets.length > 0) {
      results.push({ ...base, status: 'PASS', severity: 'INFO', message: `the NetworkPolicy selects ${targets.length} pod${targets.length === 1 ? '' : 's'} or workload${targets.length === 1 ? '' : 's'}` });
    } else {
      results.push({
        ...base,
        status: 'FAIL',
        severity: 'MEDIUM',
        message: 'the NetworkPolicy podSelector does not match any pod',
        path: 'spec.podSelector',
        remediation: 'fix the podSelector (or the namespace) so the policy selects the pods it is meant for',
      });
    }
  }
  return results;
}
