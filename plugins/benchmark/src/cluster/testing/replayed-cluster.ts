import type { KObject } from '../../k8s/objects';
import type { StandInApiServer } from './stand-in-apiserver';

/** sha256 digest of a made-up manifest, stable per name. */
export function fakeDigest(seed: string): string {
  let h = 0n;
  for (const c of seed) h = (h * 131n + BigInt(c.charCodeAt(0))) % (1n << 256n);
  return `sha256:${h.toString(16).padStart(64, '0').slice(-64)}`;
}

export interface ReplayedClusterOptions {
  /** Namespaces `app-0` … (default 3). */
  namespaces?: number;
  /** Deployments per namespace (default 2), each with one ReplicaSet. */
  deployments?: number;
  /** Pods per ReplicaSet (default 2). */
  podsPerDeployment?: number;
}

/**
 * Fills a stand-in apiserver with a small, realistic cluster: per namespace a hardened
 * Deployment → ReplicaSet → Pods chain (the pods' containerStatuses with imageID digests), a
 * ServiceAccount, a default-deny NetworkPolicy, a Service; cluster-wide a ClusterRole with a
 * wildcard bound to a ServiceAccount, and a Node. Returns the uids of what it created by name.
 */
export function replayCluster(server: StandInApiServer, options: ReplayedClusterOptions = {}): { pods: number } {
  const namespaces = options.namespaces ?? 3;
  const deployments = options.deployments ?? 2;
  const podsPer = options.podsPerDeployment ?? 2;
  let pods = 0;
  server.put({ kind: 'Node', metadata: { name: 'node-1', labels: { 'kubernetes.io/os': 'linux' } }, status: { nodeInfo: { kubeletVersion: 'v1.31.0' } } });
  server.put({ kind: 'ClusterRole', metadata: { name: 'too-much' }, rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }] });
  server.put({ kind: 'ClusterRoleBinding', metadata: { name: 'too-much' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'too-much' }, subjects: [{ kind: 'ServiceAccount', name: 'ops', namespace: 'app-0' }] });
  for (let n = 0; n < namespaces; n++) {
    const ns = `app-${n}`;
    server.put({ kind: 'Namespace', metadata: { name: ns, labels: { 'kubernetes.io/metadata.name': ns } } });
    server.put({ kind: 'ServiceAccount', metadata: { name: 'web', namespace: ns }, automountServiceAccountToken: false });
    server.put({ kind: 'NetworkPolicy', metadata: { name: 'default-deny', namespace: ns }, spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] } });
    server.put({ kind: 'Service', metadata: { name: 'web', namespace: ns }, spec: { type: 'ClusterIP', selector: { app: 'web' }, ports: [{ port: 80 }] } });
    for (let d = 0; d < deployments; d++) {
      const name = `web-${d}`;
      const image = `registry.example/shop/web:${d}`;
      const template = { metadata: { labels: { app: 'web', d: String(d) } }, spec: hardenedSpec(image) };
      const deployment = server.put({ kind: 'Deployment', metadata: { name, namespace: ns }, spec: { replicas: podsPer, selector: { matchLabels: template.metadata.labels }, template } });
      const rs = server.put({
        kind: 'ReplicaSet',
        metadata: { name: `${name}-5d9c`, namespace: ns, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name, uid: (deployment['metadata'] as KObject)['uid'], controller: true }] },
        spec: { replicas: podsPer, selector: { matchLabels: template.metadata.labels }, template },
      });
      for (let p = 0; p < podsPer; p++, pods++) {
        server.put({
          kind: 'Pod',
          metadata: { name: `${name}-5d9c-${p}`, namespace: ns, labels: template.metadata.labels, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `${name}-5d9c`, uid: (rs['metadata'] as KObject)['uid'], controller: true }] },
          spec: { ...hardenedSpec(image), nodeName: 'node-1' },
          status: { phase: 'Running', containerStatuses: [{ name: 'web', image, imageID: `registry.example/shop/web@${fakeDigest(image)}`, ready: true }] },
        });
      }
    }
  }
  return { pods };
}

/** A pod spec that passes the restricted Pod Security Standard and the hardening checks. */
export function hardenedSpec(image: string): KObject {
  return {
    serviceAccountName: 'web',
    automountServiceAccountToken: false,
    securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
    containers: [
      {
        name: 'web',
        image,
        imagePullPolicy: 'Always',
        securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsUser: 10001, runAsGroup: 10001, capabilities: { drop: ['ALL'] } },
        resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '500m', memory: '128Mi' } },
        livenessProbe: { httpGet: { path: '/', port: 8080 } },
        readinessProbe: { httpGet: { path: '/', port: 8080 } },
      },
    ],
  };
}

/** A bare, privileged Pod (what the live checks must flag within a second). */
export function privilegedPod(namespace: string, name: string): KObject {
  return {
    kind: 'Pod',
    metadata: { name, namespace },
    spec: { containers: [{ name: 'shell', image: 'busybox:1.36', securityContext: { privileged: true } }] },
    status: { phase: 'Running', containerStatuses: [{ name: 'shell', image: 'busybox:1.36', imageID: `docker.io/library/busybox@${fakeDigest('busybox')}` }] },
  };
}
