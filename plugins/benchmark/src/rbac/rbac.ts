import type { ManifestObject } from '../k8s/load';
import { objectCheckResult } from '../k8s/object-result';
import { isFalse, obj, objs, str, stringMap } from '../k8s/objects';
import { fieldPath, podSpecSegments } from '../k8s/paths';
import { podTemplateOf } from '../k8s/workloads';
import type { BenchmarkCheckResult, BenchmarkStatus } from '../report/model';
import type { Severity } from '@bulkhead/plugin-sdk';
import { effectiveRules, rulesGrant, type PolicyRule } from './rules';
import { checkRbacWrites } from './rbac-writes';

export const RBAC_BENCHMARK = 'k8s-rbac';

/** The CIS Kubernetes Benchmark 5.1.x controls (plus pods/exec) evaluated from manifests. */
export const RBAC_CONTROLS = {
  '5.1.1': { title: 'Ensure that the cluster-admin role is only used where required', severity: 'HIGH' },
  '5.1.2': { title: 'Minimize access to secrets', severity: 'HIGH' },
  '5.1.3': { title: 'Minimize wildcard use in Roles and ClusterRoles', severity: 'MEDIUM' },
  '5.1.4': { title: 'Minimize access to create pods', severity: 'MEDIUM' },
  '5.1.5': { title: 'Ensure that default service accounts are not actively used', severity: 'MEDIUM' },
  '5.1.6': { title: 'Ensure that Service Account Tokens are only mounted where necessary', severity: 'LOW' },
  '5.1.7': { title: 'Avoid use of system:masters group', severity: 'HIGH' },
  '5.1.8': { title: 'Limit use of the Bind, Impersonate and Escalate permissions in the Kubernetes cluster', severity: 'HIGH' },
  'pods-exec-attach': { title: 'Minimize access to pods/exec and pods/attach', severity: 'HIGH' },
} as const satisfies Record<string, { title: string; severity: Severity }>;
export type RbacControlId = keyof typeof RBAC_CONTROLS;

const REMEDIATION: Record<RbacControlId, string> = {
  '5.1.1': 'bind users to a narrower role instead of cluster-admin, or delete the binding',
  '5.1.2': 'remove get, list and watch on secrets from the role where possible',
  '5.1.3': 'replace "*" in apiGroups, resources and verbs with the specific items needed',
  '5.1.4': 'remove create on pods from the role where possible',
  '5.1.5': 'set automountServiceAccountToken: false on default service accounts and give workloads their own service account',
  '5.1.6': 'set automountServiceAccountToken: false on the pod or its service account unless it calls the API server',
  '5.1.7': 'remove system:masters from the binding; use a narrower group',
  '5.1.8': 'remove bind, escalate and impersonate from the role where possible',
  'pods-exec-attach': 'remove create/get on pods/exec and pods/attach from the role where possible',
};

/** Objects Kubernetes itself creates (the RBAC bootstrap policy) are not the operator's choice. */
function isBootstrap(o: ManifestObject): boolean {
  return stringMap(obj(o.object['metadata'])?.['labels'])['kubernetes.io/bootstrapping'] === 'rbac-defaults' || o.name.startsWith('system:');
}

function result(control: RbacControlId, o: ManifestObject, status: BenchmarkStatus, message: string, data?: Record<string, unknown>, path?: string): BenchmarkCheckResult {
  const c = RBAC_CONTROLS[control];
  return objectCheckResult({ id: control, title: c.title, severity: c.severity, remediation: REMEDIATION[control], benchmark: RBAC_BENCHMARK }, o, status, message, { path, data });
}

function roleChecks(role: ManifestObject, rules: readonly PolicyRule[], boundTo: string[]): BenchmarkCheckResult[] {
  const data = { boundTo };
  const out: BenchmarkCheckResult[] = [];
  // The role's own rules come first in `rules` (aggregated ones follow): a finding points at the
  // first own rule that grants what it reports, or at the aggregationRule.
  const ownRules = objs(role.object['rules']).length;
  const rulePath = (grants: (rules: readonly PolicyRule[]) => unknown[]): string | undefined => {
    const i = rules.findIndex((r) => grants([r]).length > 0);
    if (i < 0) return undefined;
    return i < ownRules ? fieldPath(['rules', i]) : 'aggregationRule';
  };
  const check = (control: RbacControlId, grants: (rules: readonly PolicyRule[]) => string[], what: string) => {
    const granted = grants(rules);
    out.push(
      granted.length > 0
        ? result(control, role, 'FAIL', `${role.kind} ${role.name} grants ${granted.join(', ')}`, { ...data, granted }, rulePath(grants))
        : result(control, role, 'PASS', `${role.kind} ${role.name} does not grant ${what}`, data),
    );
  };

  check('5.1.2', (rs) => rulesGrant(rs, '', ['secrets'], ['get', 'list', 'watch']), 'get/list/watch on secrets');
  const wildcardsOf = (rs: readonly PolicyRule[]): string[] =>
    rs.flatMap((r) => [
      ...(r.apiGroups.includes('*') ? ['apiGroups: *'] : []),
      ...(r.resources.includes('*') ? ['resources: *'] : []),
      ...(r.verbs.includes('*') ? ['verbs: *'] : []),
      ...(r.nonResourceURLs.includes('*') ? ['nonResourceURLs: *'] : []),
    ]);
  const wildcards = wildcardsOf(rules);
  out.push(
    wildcards.length > 0
      ? result('5.1.3', role, 'FAIL', `${role.kind} ${role.name} uses wildcards (${[...new Set(wildcards)].join(', ')})`, data, rulePath(wildcardsOf))
      : result('5.1.3', role, 'PASS', `${role.kind} ${role.name} uses no wildcards`, data),
  );
  check('5.1.4', (rs) => rulesGrant(rs, '', ['pods'], ['create']), 'create on pods');
  check(
    '5.1.8',
    (rs) => [
      ...rulesGrant(rs, 'rbac.authorization.k8s.io', ['roles', 'clusterroles'], ['bind', 'escalate']),
      ...rulesGrant(rs, '', ['users', 'groups', 'serviceaccounts'], ['impersonate']),
      ...rulesGrant(rs, 'authentication.k8s.io', ['userextras/scopes', 'uids'], ['impersonate']),
    ],
    'bind, escalate or impersonate',
  );
  // exec/attach are `create` since Kubernetes 1.30 (WebSocket), `get` before (SPDY upgrade).
  check('pods-exec-attach', (rs) => rulesGrant(rs, '', ['pods/exec', 'pods/attach'], ['create', 'get']), 'pods/exec or pods/attach');
  return out;
}

function subjectName(s: Record<string, unknown>, bindingNamespace: string): string {
  const kind = str(s['kind']);
  if (kind === 'ServiceAccount') return `ServiceAccount/${str(s['namespace']) || bindingNamespace}/${str(s['name'])}`;
  return `${kind}/${str(s['name'])}`;
}

function bindingChecks(binding: ManifestObject): BenchmarkCheckResult[] {
  if (isBootstrap(binding)) return [];
  const roleRef = obj(binding.object['roleRef']) ?? {};
  const subjects = objs(binding.object['subjects']);
  const names = subjects.map((s) => subjectName(s, binding.namespace));
  const data = { roleRef: `${str(roleRef['kind'])}/${str(roleRef['name'])}`, subjects: names };
  const out: BenchmarkCheckResult[] = [];
  const clusterAdmin = str(roleRef['kind']) === 'ClusterRole' && str(roleRef['name']) === 'cluster-admin';
  out.push(
    clusterAdmin
      ? result('5.1.1', binding, 'FAIL', `${binding.kind} ${binding.name} grants cluster-admin to ${names.join(', ') || 'no subjects'}`, data, 'roleRef')
      : result('5.1.1', binding, 'PASS', `${binding.kind} ${binding.name} does not bind cluster-admin`, data),
  );
  const masters = subjects.findIndex((s) => str(s['kind']) === 'Group' && str(s['name']) === 'system:masters');
  out.push(
    masters >= 0
      ? result('5.1.7', binding, 'FAIL', `${binding.kind} ${binding.name} binds the system:masters group`, data, subjectPath(binding, subjects[masters]))
      : result('5.1.7', binding, 'PASS', `${binding.kind} ${binding.name} does not bind system:masters`, data),
  );
  const defaultSas = names.filter((n) => n.startsWith('ServiceAccount/') && n.endsWith('/default'));
  out.push(
    defaultSas.length > 0
      ? result('5.1.5', binding, 'FAIL', `${binding.kind} ${binding.name} grants ${data.roleRef} to default service account ${defaultSas.join(', ')}`, data, subjectPath(binding, subjects[names.findIndex((n) => n.startsWith('ServiceAccount/') && n.endsWith('/default'))]))
      : result('5.1.5', binding, 'PASS', `${binding.kind} ${binding.name} does not bind a default service account`, data),
  );
  return out;
}

/** `subjects[i]` of a subject (objs() skips non-objects, so the index is looked up in the raw list). */
function subjectPath(binding: ManifestObject, subject: unknown): string | undefined {
  const raw = binding.object['subjects'];
  const i = Array.isArray(raw) ? raw.indexOf(subject) : -1;
  return i >= 0 ? fieldPath(['subjects', i]) : undefined;
}

function serviceAccountKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

function serviceAccountChecks(sa: ManifestObject): BenchmarkCheckResult[] {
  if (sa.name !== 'default') return [];
  return isFalse(sa.object['automountServiceAccountToken'])
    ? [result('5.1.5', sa, 'PASS', 'the default service account does not automount its token')]
    : [result('5.1.5', sa, 'FAIL', 'the default service account automounts its token (automountServiceAccountToken is not false)', undefined, 'automountServiceAccountToken')];
}

function workloadChecks(o: ManifestObject, serviceAccounts: Map<string, ManifestObject>): BenchmarkCheckResult[] {
  const template = podTemplateOf(o);
  if (!template) return [];
  const spec = template.spec;
  const saName = str(spec['serviceAccountName']) || str(spec['serviceAccount']) || 'default';
  const sa = serviceAccounts.get(serviceAccountKey(o.namespace, saName));
  const out: BenchmarkCheckResult[] = [];
  out.push(
    saName === 'default'
      ? result('5.1.5', o, 'WARN', 'the pod runs as the default service account', { serviceAccount: saName }, fieldPath([...podSpecSegments(o.kind), 'serviceAccountName']))
      : result('5.1.5', o, 'PASS', `the pod runs as service account ${saName}`, { serviceAccount: saName }),
  );
  // The pod's own setting wins over the service account's (core/v1 PodSpec docs).
  const podSetting = spec['automountServiceAccountToken'];
  const mounts = typeof podSetting === 'boolean' ? podSetting : !isFalse(sa?.object['automountServiceAccountToken']);
  out.push(
    mounts
      ? result('5.1.6', o, 'WARN', `the service account token of ${saName} is mounted into the pod`, { serviceAccount: saName }, fieldPath([...podSpecSegments(o.kind), 'automountServiceAccountToken']))
      : result('5.1.6', o, 'PASS', 'the service account token is not mounted', { serviceAccount: saName }),
  );
  return out;
}

/** Runs the RBAC controls over every Role, ClusterRole, binding, ServiceAccount and workload given. */
export function checkRbac(objects: readonly ManifestObject[]): BenchmarkCheckResult[] {
  const roles = objects.filter((o) => o.kind === 'Role' || o.kind === 'ClusterRole');
  const bindings = objects.filter((o) => o.kind === 'RoleBinding' || o.kind === 'ClusterRoleBinding');
  const serviceAccounts = new Map(objects.filter((o) => o.kind === 'ServiceAccount').map((sa) => [serviceAccountKey(sa.namespace, sa.name), sa]));
  const rules = effectiveRules(roles);

  // Who each role is granted to, so a finding says whether the permission is actually in use.
  const boundTo = new Map<string, string[]>();
  for (const b of bindings) {
    const roleRef = obj(b.object['roleRef']) ?? {};
    const kind = str(roleRef['kind']);
    const key = kind === 'ClusterRole' ? `ClusterRole//${str(roleRef['name'])}` : `Role/${b.namespace}/${str(roleRef['name'])}`;
    const list = boundTo.get(key) ?? [];
    list.push(...objs(b.object['subjects']).map((s) => subjectName(s, b.namespace)));
    boundTo.set(key, list);
  }

  const out: BenchmarkCheckResult[] = [];
  for (const role of roles) {
    if (isBootstrap(role)) continue;
    const key = role.kind === 'ClusterRole' ? `ClusterRole//${role.name}` : `Role/${role.namespace}/${role.name}`;
    out.push(...roleChecks(role, rules.get(role) ?? [], boundTo.get(key) ?? []));
  }
  for (const b of bindings) out.push(...bindingChecks(b));
  for (const sa of serviceAccounts.values()) out.push(...serviceAccountChecks(sa));
  for (const o of objects) out.push(...workloadChecks(o, serviceAccounts));
  out.push(...checkRbacWrites(roles, bindings, rules, isBootstrap));
  return out;
}
