import type { Severity } from '@bulkhead/plugin-sdk';
import type { ManifestObject } from '../k8s/load';
import { objectCheckResult } from '../k8s/object-result';
import { obj, objs, str } from '../k8s/objects';
import { fieldPath } from '../k8s/paths';
import type { BenchmarkCheckResult, BenchmarkStatus } from '../report/model';
import { rulesGrant, rulesOf, type PolicyRule } from './rules';

/**
 * RBAC checks beyond CIS 5.1.x read access: write access to Secrets and to workloads (pods,
 * deployments, jobs, ...), the kubelet API through
 * `nodes/proxy`, writes to ConfigMaps in kube-system, and bindings that grant anything to
 * unauthenticated users. Reported under the same benchmark as the CIS controls (`k8s-rbac`).
 */
export const RBAC_WRITE_CHECKS = {
  'secrets-write': {
    title: 'Minimize write access to secrets',
    severity: 'HIGH',
    remediation: 'remove create, update, patch and delete on secrets from the role; let a controller or a secrets manager write them',
  },
  'workloads-write': {
    title: 'Minimize create, update and delete of workloads and pods',
    severity: 'MEDIUM',
    remediation: 'grant only get, list and watch on pods and workload controllers; whoever creates a pod can run it privileged or mount the node unless admission stops it',
  },
  'nodes-proxy': {
    title: 'Minimize access to the proxy sub-resource of nodes',
    severity: 'HIGH',
    remediation: 'remove nodes/proxy from the role: it reaches the kubelet API (exec into any pod on the node) and bypasses audit logging',
  },
  'kube-system-configmaps-write': {
    title: 'Minimize write access to ConfigMaps in kube-system',
    severity: 'MEDIUM',
    remediation: 'remove write verbs on configmaps where the role applies to kube-system (CoreDNS, kube-proxy and kubeadm read their configuration from there)',
  },
  'anonymous-binding': {
    title: 'Do not bind roles to anonymous or unauthenticated users',
    severity: 'HIGH',
    remediation: 'remove system:anonymous and system:unauthenticated from the binding subjects',
  },
} as const satisfies Record<string, { title: string; severity: Severity; remediation: string }>;
export type RbacWriteCheckId = keyof typeof RBAC_WRITE_CHECKS;

const WRITE_VERBS = ['create', 'update', 'patch', 'delete', 'deletecollection'];
/**
 * Workload resources by API group: creating or changing any of them creates pods (Trivy KSV048
 * lists the same resources and verbs). `extensions` still serves the old apps resources on some clusters.
 */
const WORKLOAD_RESOURCES: ReadonlyArray<readonly [group: string, resources: readonly string[]]> = [
  ['', ['pods', 'replicationcontrollers']],
  ['apps', ['deployments', 'daemonsets', 'statefulsets', 'replicasets']],
  ['extensions', ['deployments', 'daemonsets', 'replicasets']],
  ['batch', ['jobs', 'cronjobs']],
];

function workloadWrites(rules: readonly PolicyRule[]): string[] {
  const granted = WORKLOAD_RESOURCES.flatMap(([group, resources]) => rulesGrant(rules, group, resources, WRITE_VERBS));
  return [...new Set(granted)];
}

const ANONYMOUS = new Set(['system:anonymous', 'system:unauthenticated']);

function result(check: RbacWriteCheckId, o: ManifestObject, status: BenchmarkStatus, message: string, path?: string, data?: Record<string, unknown>): BenchmarkCheckResult {
  const c = RBAC_WRITE_CHECKS[check];
  return objectCheckResult({ id: check, title: c.title, severity: c.severity, remediation: c.remediation, benchmark: 'k8s-rbac' }, o, status, message, { path, data });
}

/** `rules[i]` of the role's first own rule that grants, or `aggregationRule` when only aggregated rules do. */
function grantingRulePath(role: ManifestObject, effective: readonly PolicyRule[], grants: (rules: readonly PolicyRule[]) => string[]): string | undefined {
  const own = rulesOf(role);
  const i = own.findIndex((r) => grants([r]).length > 0);
  if (i >= 0) {
    // rulesOf skips non-object entries; find the index in the raw list.
    const raw = role.object['rules'];
    const rawIndex = Array.isArray(raw) ? raw.indexOf(objs(raw)[i]) : i;
    return fieldPath(['rules', rawIndex]);
  }
  return grants(effective).length > 0 ? 'aggregationRule' : undefined;
}

/** Where each ClusterRole applies in kube-system: bound cluster-wide, by a RoleBinding in kube-system, or not bound here. */
function clusterRoleReach(bindings: readonly ManifestObject[]): Map<string, 'cluster' | 'kube-system'> {
  const reach = new Map<string, 'cluster' | 'kube-system'>();
  for (const b of bindings) {
    const roleRef = obj(b.object['roleRef']) ?? {};
    if (str(roleRef['kind']) !== 'ClusterRole') continue;
    const name = str(roleRef['name']);
    if (b.kind === 'ClusterRoleBinding') reach.set(name, 'cluster');
    else if (b.namespace === 'kube-system' && !reach.has(name)) reach.set(name, 'kube-system');
  }
  return reach;
}

function roleWriteChecks(role: ManifestObject, effective: readonly PolicyRule[], reach: Map<string, 'cluster' | 'kube-system'>): BenchmarkCheckResult[] {
  const out: BenchmarkCheckResult[] = [];
  const who = `${role.kind} ${role.name}`;
  const check = (id: RbacWriteCheckId, grants: (rules: readonly PolicyRule[]) => string[], what: string): void => {
    const granted = grants(effective);
    out.push(
      granted.length > 0
        ? result(id, role, 'FAIL', `${who} grants ${granted.join(', ')}`, grantingRulePath(role, effective, grants), { granted })
        : result(id, role, 'PASS', `${who} does not grant ${what}`),
    );
  };
  check('secrets-write', (rs) => rulesGrant(rs, '', ['secrets'], WRITE_VERBS), 'write access to secrets');
  check('workloads-write', workloadWrites, 'write access to workloads or pods');
  check('nodes-proxy', (rs) => rulesGrant(rs, '', ['nodes/proxy'], ['get', 'create', 'update', 'patch', 'delete']), 'nodes/proxy');

  const configMapWrites = (rs: readonly PolicyRule[]) => rulesGrant(rs, '', ['configmaps'], WRITE_VERBS);
  const granted = configMapWrites(effective);
  const where = role.kind === 'Role' ? (role.namespace === 'kube-system' ? 'kube-system' : undefined) : reach.get(role.name);
  if (granted.length === 0 || (role.kind === 'Role' && where === undefined)) {
    out.push(result('kube-system-configmaps-write', role, 'PASS', `${who} does not grant writes to ConfigMaps in kube-system`));
  } else if (where === undefined) {
    // A ClusterRole not bound by these manifests: it writes kube-system ConfigMaps as soon as it is bound there or cluster-wide.
    out.push(result('kube-system-configmaps-write', role, 'WARN', `${who} grants ${granted.join(', ')}; it is not bound here, but bound cluster-wide or in kube-system it writes kube-system ConfigMaps`, grantingRulePath(role, effective, configMapWrites), { granted }));
  } else {
    const how = where === 'cluster' ? 'bound cluster-wide' : 'bound in kube-system';
    out.push(result('kube-system-configmaps-write', role, 'FAIL', `${who} grants ${granted.join(', ')} in kube-system (${role.kind === 'Role' ? 'a Role in kube-system' : how})`, grantingRulePath(role, effective, configMapWrites), { granted }));
  }
  return out;
}

function anonymousBindingCheck(binding: ManifestObject): BenchmarkCheckResult {
  const raw = binding.object['subjects'];
  const subjects = Array.isArray(raw) ? raw : [];
  const i = subjects.findIndex((s) => {
    const subject = obj(s);
    return subject !== undefined && ANONYMOUS.has(str(subject['name'])) && (str(subject['kind']) === 'Group' || str(subject['kind']) === 'User');
  });
  const roleRef = obj(binding.object['roleRef']) ?? {};
  const role = `${str(roleRef['kind'])}/${str(roleRef['name'])}`;
  if (i < 0) return result('anonymous-binding', binding, 'PASS', `${binding.kind} ${binding.name} binds no anonymous or unauthenticated subject`);
  const name = str(obj(subjects[i])?.['name']);
  return result('anonymous-binding', binding, 'FAIL', `${binding.kind} ${binding.name} grants ${role} to ${name}: anyone who can reach the API server gets it`, fieldPath(['subjects', i]), { roleRef: role, subject: name });
}

/**
 * Runs the write-access and anonymous-binding checks. `effective` holds each role's rules with
 * aggregation resolved (./rules.ts effectiveRules); objects for which `isBootstrap` is true
 * (Kubernetes' own RBAC defaults) are not reported, but their bindings still say where a
 * ClusterRole applies.
 */
export function checkRbacWrites(
  roles: readonly ManifestObject[],
  bindings: readonly ManifestObject[],
  effective: ReadonlyMap<ManifestObject, PolicyRule[]>,
  isBootstrap: (o: ManifestObject) => boolean,
): BenchmarkCheckResult[] {
  const reach = clusterRoleReach(bindings);
  const out: BenchmarkCheckResult[] = [];
  for (const role of roles) if (!isBootstrap(role)) out.push(...roleWriteChecks(role, effective.get(role) ?? [], reach));
  for (const binding of bindings) if (!isBootstrap(binding)) out.push(anonymousBindingCheck(binding));
  return out;
}
