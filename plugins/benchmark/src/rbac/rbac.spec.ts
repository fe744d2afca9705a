import { parseManifestText, type LoadedManifests } from '../k8s/load';
import { checkRbac } from './rbac';

const MANIFESTS = `
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: { name: secret-reader }
rules:
- apiGroups: [""]
  resources: [secrets]
  verbs: [get, list]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: { name: everything, namespace: team }
rules:
- apiGroups: ["*"]
  resources: ["*"]
  verbs: ["*"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: { name: debugger, namespace: team }
rules:
- apiGroups: [""]
  resources: [pods/exec, pods]
  verbs: [create]
- apiGroups: [rbac.authorization.k8s.io]
  resources: [clusterroles]
  verbs: [bind]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: { name: reader, namespace: team }
rules:
- apiGroups: [""]
  resources: [configmaps]
  verbs: [get]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: { name: aggregate }
aggregationRule:
  clusterRoleSelectors:
  - matchLabels: { rbac.example.com/aggregate-to-aggregate: "true" }
rules: []
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: impersonator
  labels: { rbac.example.com/aggregate-to-aggregate: "true" }
rules:
- apiGroups: [""]
  resources: [users]
  verbs: [impersonate]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: { name: ops-admin }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin }
subjects:
- { kind: Group, name: system:masters }
- { kind: ServiceAccount, name: default, namespace: team }
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: cluster-admin
  labels: { kubernetes.io/bootstrapping: rbac-defaults }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin }
subjects:
- { kind: Group, name: system:masters }
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: { name: read, namespace: team }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: Role, name: reader }
subjects:
- { kind: ServiceAccount, name: app }
---
apiVersion: v1
kind: ServiceAccount
metadata: { name: default, namespace: team }
---
apiVersion: v1
kind: ServiceAccount
metadata: { name: app, namespace: team }
automountServiceAccountToken: false
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: web, namespace: team }
spec:
  template:
    spec:
      containers: [{ name: web, image: nginx }]
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: api, namespace: team }
spec:
  template:
    spec:
      serviceAccountName: app
      containers: [{ name: api, image: api }]
`;

function run() {
  const loaded: LoadedManifests = { objects: [], errors: [], files: ['rbac.yaml'] };
  parseManifestText(MANIFESTS, 'rbac.yaml', loaded);
  expect(loaded.errors).toEqual([]);
  return checkRbac(loaded.objects);
}

function statusOf(results: ReturnType<typeof run>, checkId: string, target: string): string | undefined {
  const found = results.filter((r) => r.checkId === checkId && r.target === target);
  if (found.length > 1) throw new Error(`several ${checkId} results for ${target}`);
  return found[0]?.status;
}

describe('checkRbac (CIS 5.1.x from manifests)', () => {
  const results = run();

  it('5.1.1 flags non-default cluster-admin bindings only', () => {
    expect(statusOf(results, '5.1.1', 'ClusterRoleBinding/ops-admin')).toBe('FAIL');
    expect(statusOf(results, '5.1.1', 'RoleBinding/team/read')).toBe('PASS');
    expect(results.some((r) => r.target === 'ClusterRoleBinding/cluster-admin')).toBe(false);
  });

  it('5.1.2 flags secret readers, including through wildcards', () => {
    expect(statusOf(results, '5.1.2', 'ClusterRole/secret-reader')).toBe('FAIL');
    expect(statusOf(results, '5.1.2', 'Role/team/everything')).toBe('FAIL');
    expect(statusOf(results, '5.1.2', 'Role/team/reader')).toBe('PASS');
  });

  it('5.1.3 flags wildcards', () => {
    expect(statusOf(results, '5.1.3', 'Role/team/everything')).toBe('FAIL');
    expect(statusOf(results, '5.1.3', 'Role/team/debugger')).toBe('PASS');
  });

  it('5.1.4 and pods/exec flag pod creation and exec', () => {
    expect(statusOf(results, '5.1.4', 'Role/team/debugger')).toBe('FAIL');
    expect(statusOf(results, 'pods-exec-attach', 'Role/team/debugger')).toBe('FAIL');
    expect(statusOf(results, 'pods-exec-attach', 'Role/team/reader')).toBe('PASS');
  });

  it('5.1.5 flags default service account use and bindings', () => {
    expect(statusOf(results, '5.1.5', 'ServiceAccount/team/default')).toBe('FAIL');
    expect(statusOf(results, '5.1.5', 'ClusterRoleBinding/ops-admin')).toBe('FAIL');
    expect(statusOf(results, '5.1.5', 'Deployment/team/web')).toBe('WARN');
    expect(statusOf(results, '5.1.5', 'Deployment/team/api')).toBe('PASS');
  });

  it('5.1.6 follows the service account automount setting when the pod does not set it', () => {
    expect(statusOf(results, '5.1.6', 'Deployment/team/web')).toBe('WARN');
    expect(statusOf(results, '5.1.6', 'Deployment/team/api')).toBe('PASS');
  });

  it('5.1.7 flags system:masters bindings', () => {
    expect(statusOf(results, '5.1.7', 'ClusterRoleBinding/ops-admin')).toBe('FAIL');
    expect(statusOf(results, '5.1.7', 'RoleBinding/team/read')).toBe('PASS');
  });

  it('5.1.8 flags bind and impersonate, including through aggregated ClusterRoles', () => {
    expect(statusOf(results, '5.1.8', 'Role/team/debugger')).toBe('FAIL');
    expect(statusOf(results, '5.1.8', 'ClusterRole/impersonator')).toBe('FAIL');
    expect(statusOf(results, '5.1.8', 'ClusterRole/aggregate')).toBe('FAIL');
    expect(statusOf(results, '5.1.8', 'Role/team/reader')).toBe('PASS');
  });

  it('records who a role is bound to', () => {
    const reader = results.find((r) => r.checkId === '5.1.2' && r.target === 'Role/team/reader');
    expect(reader?.data?.['boundTo']).toEqual(['ServiceAccount/team/app']);
  });
});
