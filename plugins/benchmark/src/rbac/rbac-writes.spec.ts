import { parseManifestText, type LoadedManifests } from '../k8s/load';
import { evaluateManifests } from '../k8s/evaluate';
import type { BenchmarkCheckResult } from '../report/model';
import { checkRbac } from './rbac';

function rbac(text: string): BenchmarkCheckResult[] {
  const loaded: LoadedManifests = { objects: [], errors: [], files: ['rbac.yaml'] };
  parseManifestText(text, 'rbac.yaml', loaded);
  expect(loaded.errors).toEqual([]);
  return checkRbac(loaded.objects);
}

const pick = (results: BenchmarkCheckResult[], checkId: string) =>
  results.filter((r) => r.checkId === checkId).map((r) => ({ target: r.target, status: r.status, ...(r.path ? { path: r.path } : {}) }));

const role = (name: string, namespace: string | undefined, rules: string, kind = 'Role') =>
  `apiVersion: rbac.authorization.k8s.io/v1\nkind: ${kind}\nmetadata: {name: ${name}${namespace ? `, namespace: ${namespace}` : ''}}\nrules:\n${rules}\n---\n`;

describe('RBAC write access and anonymous bindings', () => {
  it('reports write verbs on secrets, not read-only access (that is CIS 5.1.2)', () => {
    const results = rbac(
      role('reader', 'team', '- {apiGroups: [""], resources: [secrets], verbs: [get, list]}') +
        role('writer', 'team', '- {apiGroups: [""], resources: [configmaps], verbs: [get]}\n- {apiGroups: [""], resources: [secrets], verbs: [patch]}') +
        role('star', 'team', '- {apiGroups: [""], resources: [secrets], verbs: ["*"]}') +
        role('other-group', 'team', '- {apiGroups: [apps], resources: [secrets], verbs: [create]}'),
    );
    expect(pick(results, 'secrets-write')).toEqual([
      { target: 'Role/team/reader', status: 'PASS' },
      { target: 'Role/team/writer', status: 'FAIL', path: 'rules[1]' },
      { target: 'Role/team/star', status: 'FAIL', path: 'rules[0]' },
      { target: 'Role/team/other-group', status: 'PASS' },
    ]);
    expect(pick(results, '5.1.2').map((r) => r.status)).toEqual(['FAIL', 'PASS', 'FAIL', 'PASS']);
  });

  it('reports write verbs on pods and workload controllers in their API groups (Trivy KSV048), not reads', () => {
    const results = rbac(
      role('deployer', 'team', '- {apiGroups: [""], resources: [configmaps], verbs: [get]}\n- {apiGroups: [apps], resources: [deployments], verbs: [patch]}') +
        role('pods', 'team', '- {apiGroups: [""], resources: [pods], verbs: [create, get]}') +
        role('jobs', undefined, '- {apiGroups: [batch], resources: [cronjobs, jobs], verbs: ["*"]}', 'ClusterRole') +
        role('everything', 'team', '- {apiGroups: ["*"], resources: ["*"], verbs: [update]}') +
        role('reader', 'team', '- {apiGroups: ["", apps, batch], resources: [pods, deployments, daemonsets, statefulsets, jobs], verbs: [get, list, watch]}') +
        role('wrong-group', 'team', '- {apiGroups: [batch], resources: [pods, deployments], verbs: [create]}') +
        role('sub-resource', 'team', '- {apiGroups: [""], resources: [pods/log, pods/status], verbs: [update]}'),
    );
    expect(pick(results, 'workloads-write')).toEqual([
      { target: 'Role/team/deployer', status: 'FAIL', path: 'rules[1]' },
      { target: 'Role/team/pods', status: 'FAIL', path: 'rules[0]' },
      { target: 'ClusterRole/jobs', status: 'FAIL', path: 'rules[0]' },
      { target: 'Role/team/everything', status: 'FAIL', path: 'rules[0]' },
      { target: 'Role/team/reader', status: 'PASS' },
      { target: 'Role/team/wrong-group', status: 'PASS' },
      { target: 'Role/team/sub-resource', status: 'PASS' },
    ]);
    const jobs = results.find((r) => r.checkId === 'workloads-write' && r.target === 'ClusterRole/jobs');
    expect(jobs?.severity).toBe('MEDIUM');
    expect(jobs?.data?.['granted']).toEqual(expect.arrayContaining(['create jobs', 'patch cronjobs']));
  });

  it('reports nodes/proxy, also through a */proxy or wildcard rule', () => {
    const results = rbac(
      role('kubelet-api', undefined, '- {apiGroups: [""], resources: [nodes/proxy], verbs: [get]}', 'ClusterRole') +
        role('any-proxy', undefined, '- {apiGroups: [""], resources: ["*/proxy"], verbs: [create]}', 'ClusterRole') +
        role('nodes', undefined, '- {apiGroups: [""], resources: [nodes, nodes/status], verbs: [get]}', 'ClusterRole'),
    );
    expect(pick(results, 'nodes-proxy')).toEqual([
      { target: 'ClusterRole/kubelet-api', status: 'FAIL', path: 'rules[0]' },
      { target: 'ClusterRole/any-proxy', status: 'FAIL', path: 'rules[0]' },
      { target: 'ClusterRole/nodes', status: 'PASS' },
    ]);
  });

  it('reports ConfigMap writes where they reach kube-system', () => {
    const write = '- {apiGroups: [""], resources: [configmaps], verbs: [update]}';
    const results = rbac(
      role('cm', 'kube-system', write) +
        role('cm', 'team', write) +
        role('cm-cluster', undefined, write, 'ClusterRole') +
        role('cm-in-ks', undefined, write, 'ClusterRole') +
        role('cm-unbound', undefined, write, 'ClusterRole') +
        role('cm-read', 'kube-system', '- {apiGroups: [""], resources: [configmaps], verbs: [get, list]}') +
        `apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: b1}\nroleRef: {kind: ClusterRole, name: cm-cluster}\nsubjects: [{kind: Group, name: ops}]\n---\n` +
        `apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: b2, namespace: kube-system}\nroleRef: {kind: ClusterRole, name: cm-in-ks}\nsubjects: [{kind: Group, name: ops}]\n`,
    );
    expect(pick(results, 'kube-system-configmaps-write')).toEqual([
      { target: 'Role/kube-system/cm', status: 'FAIL', path: 'rules[0]' },
      { target: 'Role/team/cm', status: 'PASS' },
      { target: 'ClusterRole/cm-cluster', status: 'FAIL', path: 'rules[0]' },
      { target: 'ClusterRole/cm-in-ks', status: 'FAIL', path: 'rules[0]' },
      { target: 'ClusterRole/cm-unbound', status: 'WARN', path: 'rules[0]' },
      { target: 'Role/kube-system/cm-read', status: 'PASS' },
    ]);
  });

  it('reports bindings to system:anonymous and system:unauthenticated, except the bootstrap ones', () => {
    const binding = (name: string, subjects: string, kind = 'ClusterRoleBinding') =>
      `apiVersion: rbac.authorization.k8s.io/v1\nkind: ${kind}\nmetadata: {name: ${name}${kind === 'RoleBinding' ? ', namespace: team' : ''}}\nroleRef: {kind: ClusterRole, name: view}\nsubjects: ${subjects}\n---\n`;
    const results = rbac(
      binding('anon', '[{kind: Group, name: ops}, {kind: User, name: system:anonymous}]') +
        binding('unauth', '[{kind: Group, name: system:unauthenticated}]', 'RoleBinding') +
        binding('authenticated', '[{kind: Group, name: system:authenticated}]') +
        binding('system:public-info-viewer', '[{kind: Group, name: system:unauthenticated}]') +
        binding('weird', '[null, 5, {kind: ServiceAccount, name: system:anonymous}]'),
    );
    expect(pick(results, 'anonymous-binding')).toEqual([
      { target: 'ClusterRoleBinding/anon', status: 'FAIL', path: 'subjects[1]' },
      { target: 'RoleBinding/team/unauth', status: 'FAIL', path: 'subjects[0]' },
      { target: 'ClusterRoleBinding/authenticated', status: 'PASS' },
      { target: 'ClusterRoleBinding/weird', status: 'PASS' },
    ]);
    const anon = results.find((r) => r.checkId === 'anonymous-binding' && r.status === 'FAIL');
    expect(anon).toMatchObject({ severity: 'HIGH', message: 'ClusterRoleBinding anon grants ClusterRole/view to system:anonymous: anyone who can reach the API server gets it' });
  });

  it('points at the aggregationRule when only aggregated rules grant, and carries the Trivy ids', () => {
    const text =
      `apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: agg}\naggregationRule:\n  clusterRoleSelectors: [{matchLabels: {agg: "true"}}]\nrules: []\n---\n` +
      `apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: part, labels: {agg: "true"}}\nrules:\n- {apiGroups: [""], resources: [secrets], verbs: [delete]}\n`;
    expect(pick(rbac(text), 'secrets-write')).toEqual([
      { target: 'ClusterRole/agg', status: 'FAIL', path: 'aggregationRule' },
      { target: 'ClusterRole/part', status: 'FAIL', path: 'rules[0]' },
    ]);
    const loaded: LoadedManifests = { objects: [], errors: [], files: [] };
    parseManifestText(text, 'rbac.yaml', loaded);
    const report = evaluateManifests(loaded, { checks: ['rbac'] }).report;
    expect(report.results.find((r) => r.checkId === 'secrets-write')?.references).toMatchObject({ trivy: ['KSV041'], avd: ['AVD-KSV-0041'] });
    expect(report.results.find((r) => r.checkId === 'anonymous-binding')).toBeUndefined();
  });
});
