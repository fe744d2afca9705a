import type { Severity } from '@bulkhead/plugin-sdk';
import type { ManifestObject } from '../k8s/load';
import { objectCheckResult } from '../k8s/object-result';
import { isObject, isTrue, obj, objs, str } from '../k8s/objects';
import { podSpecPath } from '../k8s/paths';
import { isWorkload, podTemplateOf } from '../k8s/workloads';
import type { BenchmarkCheckResult, BenchmarkStatus } from '../report/model';

export const WORKLOAD_BENCHMARK = 'k8s-workload';

interface WorkloadCheck {
  title: string;
  severity: Severity;
  /** Status of a violation: FAIL for problems, WARN for advice (still a finding, not a failed run). */
  status: 'FAIL' | 'WARN';
  remediation: string;
}

/**
 * Workload checks beyond Pod Security: what the container-security guidance (NSA/CISA hardening
 * guide, CIS Kubernetes 5.4/5.7) and Trivy, kube-score and Polaris check on pod templates and
 * Services. Severities are Bulkhead's (documented in the plugin README); cross-references live in
 * ../report/references.ts.
 */
export const WORKLOAD_CHECKS = {
  'readonly-root-filesystem': { title: 'Root file system is not read-only', severity: 'MEDIUM', status: 'FAIL', remediation: 'set securityContext.readOnlyRootFilesystem: true on the container and mount an emptyDir where it must write' },
  'cpu-requests': { title: 'CPU requests not specified', severity: 'LOW', status: 'FAIL', remediation: 'set resources.requests.cpu on the container' },
  'memory-requests': { title: 'Memory requests not specified', severity: 'LOW', status: 'FAIL', remediation: 'set resources.requests.memory on the container' },
  'cpu-limits': { title: 'CPU not limited', severity: 'LOW', status: 'FAIL', remediation: 'set resources.limits.cpu on the container' },
  'memory-limits': { title: 'Memory not limited', severity: 'MEDIUM', status: 'FAIL', remediation: 'set resources.limits.memory on the container' },
  'image-tag': { title: 'Image without a tag or with the latest tag', severity: 'MEDIUM', status: 'FAIL', remediation: 'name a version tag (image: repo:1.2.3) or a digest (image: repo@sha256:…)' },
  'image-digest': { title: 'Image not pinned by digest', severity: 'LOW', status: 'WARN', remediation: 'pin the image by digest (image: repo:1.2.3@sha256:…) so the same bytes run everywhere' },
  'image-pull-policy': { title: 'imagePullPolicy is not Always for a mutable tag', severity: 'LOW', status: 'FAIL', remediation: 'set imagePullPolicy: Always, or pin the image by digest' },
  'run-as-high-uid': { title: 'Runs with UID <= 10000', severity: 'LOW', status: 'FAIL', remediation: 'set securityContext.runAsUser above 10000 (on the pod or the container) so the UID cannot collide with a host user' },
  'run-as-high-gid': { title: 'Runs with GID <= 10000', severity: 'LOW', status: 'FAIL', remediation: 'set securityContext.runAsGroup above 10000 (on the pod or the container)' },
  'root-group': { title: 'Runs with the root group (GID 0)', severity: 'MEDIUM', status: 'FAIL', remediation: 'set runAsGroup, fsGroup and supplementalGroups to non-zero groups' },
  'liveness-probe': { title: 'Liveness probe missing', severity: 'LOW', status: 'WARN', remediation: 'add a livenessProbe so a hung container is restarted' },
  'readiness-probe': { title: 'Readiness probe missing', severity: 'LOW', status: 'WARN', remediation: 'add a readinessProbe so traffic only reaches a ready container' },
  'default-namespace': { title: 'Workload in the default namespace', severity: 'LOW', status: 'FAIL', remediation: 'set metadata.namespace to a namespace of its own' },
  'kube-system-namespace': { title: 'Workload in the kube-system namespace', severity: 'MEDIUM', status: 'FAIL', remediation: 'run user workloads outside kube-system' },
  'service-external-ips': { title: 'Service with externalIPs', severity: 'HIGH', status: 'FAIL', remediation: 'remove spec.externalIPs (CVE-2020-8554: they can intercept cluster traffic); use a LoadBalancer or an Ingress' },
  'service-nodeport': { title: 'Service exposed on every node (NodePort)', severity: 'LOW', status: 'WARN', remediation: 'use a ClusterIP Service behind an Ingress or a LoadBalancer instead of a NodePort' },
  'secrets-as-env': { title: 'Secret consumed as environment variables', severity: 'MEDIUM', status: 'FAIL', remediation: 'mount the Secret as a volume and read it from a file (environment variables leak into logs, crash dumps and child processes)' },
  'share-process-namespace': { title: 'Containers share the process namespace', severity: 'MEDIUM', status: 'FAIL', remediation: 'remove shareProcessNamespace: true (every container can see and signal the others, and read their /proc/<pid>/root)' },
} as const satisfies Record<string, WorkloadCheck>;
export type WorkloadCheckId = keyof typeof WORKLOAD_CHECKS;

/** Kinds the workload group evaluates (pod templates plus Services). */
export function isWorkloadCheckTarget(o: Pick<ManifestObject, 'kind'>): boolean {
  return isWorkload(o) || o.kind === 'Service';
}

interface Violation {
  check: WorkloadCheckId;
  message: string;
  /** Path of the offending (or missing) field from the object root. */
  path: string;
  data?: Record<string, unknown>;
}

interface ContainerRef {
  container: Record<string, unknown>;
  name: string;
  /** `containers`, `initContainers` or `ephemeralContainers`. */
  list: string;
  path: string;
}

function containersOf(spec: Record<string, unknown>, prefix: string): ContainerRef[] {
  const out: ContainerRef[] = [];
  for (const list of ['initContainers', 'containers', 'ephemeralContainers']) {
    const raw = spec[list];
    if (!Array.isArray(raw)) continue;
    raw.forEach((c, i) => {
      if (isObject(c)) out.push({ container: c, name: str(c['name']) || `#${i}`, list, path: `${prefix}.${list}[${i}]` });
    });
  }
  return out;
}

/** An integer security-context field, or undefined when unset or not an integer. */
function intField(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) ? value : undefined;
}

/** Image reference parts: the tag of the last path segment and whether a digest pins it. */
export function parseImage(image: string): { tag?: string; digest?: string } {
  const at = image.indexOf('@');
  const digest = at >= 0 ? image.slice(at + 1) : undefined;
  const name = at >= 0 ? image.slice(0, at) : image;
  const last = name.slice(name.lastIndexOf('/') + 1);
  const colon = last.indexOf(':');
  return { ...(colon >= 0 ? { tag: last.slice(colon + 1) } : {}), ...(digest ? { digest } : {}) };
}

function podChecks(o: ManifestObject): Violation[] {
  const template = podTemplateOf(o);
  if (!template) return [];
  const spec = template.spec;
  const prefix = podSpecPath(o.kind);
  const podSc = obj(spec['securityContext']) ?? {};
  const out: Violation[] = [];
  const containers = containersOf(spec, prefix);
  const longRunning = o.kind !== 'Job' && o.kind !== 'CronJob';

  if (isTrue(spec['shareProcessNamespace'])) {
    out.push({ check: 'share-process-namespace', message: 'shareProcessNamespace is true: the containers see and signal each other\'s processes', path: `${prefix}.shareProcessNamespace` });
  }

  // Pod-level groups apply to every container.
  if (intField(podSc['fsGroup']) === 0) out.push({ check: 'root-group', message: 'fsGroup is 0 (root)', path: `${prefix}.securityContext.fsGroup` });
  const supplemental = Array.isArray(podSc['supplementalGroups']) ? podSc['supplementalGroups'] : [];
  const rootSupplemental = supplemental.findIndex((g) => intField(g) === 0);
  if (rootSupplemental >= 0) out.push({ check: 'root-group', message: 'supplementalGroups contains 0 (root)', path: `${prefix}.securityContext.supplementalGroups[${rootSupplemental}]` });

  for (const c of containers) {
    const sc = obj(c.container['securityContext']) ?? {};
    const who = `container ${c.name}`;
    // Windows pods have no read-only root file system nor Linux UIDs.
    const windows = str(obj(spec['os'])?.['name']) === 'windows';

    if (!windows && !isTrue(sc['readOnlyRootFilesystem'])) {
      out.push({ check: 'readonly-root-filesystem', message: `${who} does not set securityContext.readOnlyRootFilesystem: true`, path: `${c.path}.securityContext.readOnlyRootFilesystem` });
    }

    // The container's value wins over the pod's (core/v1 PodSecurityContext); both unset means
    // the image decides, which is not a UID above 10000 anyone chose.
    if (!windows) {
      const uid = intField(sc['runAsUser']) ?? intField(podSc['runAsUser']);
      const uidPath = intField(sc['runAsUser']) !== undefined || intField(podSc['runAsUser']) === undefined ? `${c.path}.securityContext.runAsUser` : `${prefix}.securityContext.runAsUser`;
      if (uid === undefined || uid <= 10000) {
        out.push({ check: 'run-as-high-uid', message: uid === undefined ? `${who} sets no runAsUser (nor does the pod): the image's user runs` : `${who} runs as UID ${uid} (<= 10000)`, path: uidPath, ...(uid !== undefined ? { data: { runAsUser: uid } } : {}) });
      }
      const gid = intField(sc['runAsGroup']) ?? intField(podSc['runAsGroup']);
      const gidPath = intField(sc['runAsGroup']) !== undefined || intField(podSc['runAsGroup']) === undefined ? `${c.path}.securityContext.runAsGroup` : `${prefix}.securityContext.runAsGroup`;
      if (gid === undefined || gid <= 10000) {
        out.push({ check: 'run-as-high-gid', message: gid === undefined ? `${who} sets no runAsGroup (nor does the pod): the image's group runs` : `${who} runs as GID ${gid} (<= 10000)`, path: gidPath, ...(gid !== undefined ? { data: { runAsGroup: gid } } : {}) });
      }
      if (gid === 0) out.push({ check: 'root-group', message: `${who} runs with primary group 0 (root)`, path: gidPath });
    }

    if (c.list !== 'ephemeralContainers') {
      const resources = obj(c.container['resources']) ?? {};
      for (const [kind, check] of [
        ['requests', 'cpu-requests'],
        ['requests', 'memory-requests'],
        ['limits', 'cpu-limits'],
        ['limits', 'memory-limits'],
      ] as const) {
        const resource = check.startsWith('cpu') ? 'cpu' : 'memory';
        const value = obj(resources[kind])?.[resource];
        if (value === undefined || value === null || value === '') {
          out.push({ check, message: `${who} sets no resources.${kind}.${resource}`, path: `${c.path}.resources.${kind}.${resource}` });
        }
      }
    }

    const image = str(c.container['image']);
    const imagePath = `${c.path}.image`;
    if (image !== '') {
      const { tag, digest } = parseImage(image);
      if (!digest && (tag === undefined || tag === 'latest')) {
        out.push({ check: 'image-tag', message: tag === undefined ? `${who} image ${image} has no tag (pulls latest)` : `${who} image ${image} uses the latest tag`, path: imagePath, data: { image } });
      }
      if (!digest) out.push({ check: 'image-digest', message: `${who} image ${image} is not pinned by digest`, path: imagePath, data: { image } });
      // The API server defaults the policy to Always for :latest and untagged images, else IfNotPresent.
      const explicit = str(c.container['imagePullPolicy']);
      const policy = explicit || (tag === undefined || tag === 'latest' ? (digest ? 'IfNotPresent' : 'Always') : 'IfNotPresent');
      if (!digest && policy !== 'Always') {
        out.push({ check: 'image-pull-policy', message: `${who} image ${image} has a mutable tag and imagePullPolicy ${policy}${explicit ? '' : ' (defaulted)'}`, path: explicit ? `${c.path}.imagePullPolicy` : imagePath, data: { image, imagePullPolicy: policy } });
      }
    }

    objs(c.container['env']).forEach((e, i) => {
      const ref = obj(obj(e['valueFrom'])?.['secretKeyRef']);
      if (ref) {
        out.push({ check: 'secrets-as-env', message: `${who} reads key ${str(ref['key'])} of Secret ${str(ref['name'])} into environment variable ${str(e['name'])}`, path: `${c.path}.env[${i}].valueFrom.secretKeyRef`, data: { secret: str(ref['name']) } });
      }
    });
    objs(c.container['envFrom']).forEach((e, i) => {
      const ref = obj(e['secretRef']);
      if (ref) out.push({ check: 'secrets-as-env', message: `${who} loads every key of Secret ${str(ref['name'])} as environment variables`, path: `${c.path}.envFrom[${i}].secretRef`, data: { secret: str(ref['name']) } });
    });

    // Probes: long-running containers only (a Job runs to completion; init containers have none,
    // except restartable sidecars).
    const sidecar = c.list === 'initContainers' && str(c.container['restartPolicy']) === 'Always';
    if (longRunning && (c.list === 'containers' || sidecar)) {
      if (!obj(c.container['livenessProbe'])) out.push({ check: 'liveness-probe', message: `${who} has no livenessProbe`, path: `${c.path}.livenessProbe` });
      if (!obj(c.container['readinessProbe'])) out.push({ check: 'readiness-probe', message: `${who} has no readinessProbe`, path: `${c.path}.readinessProbe` });
    }
  }
  return out;
}

function namespaceChecks(o: ManifestObject): Violation[] {
  // An object without a namespace lands in the namespace it is applied to: `default` unless told otherwise.
  const namespace = o.namespace || 'default';
  if (namespace === 'default') return [{ check: 'default-namespace', message: `${o.kind} ${o.name} runs in the default namespace`, path: 'metadata.namespace' }];
  if (namespace === 'kube-system') return [{ check: 'kube-system-namespace', message: `${o.kind} ${o.name} runs in kube-system`, path: 'metadata.namespace' }];
  return [];
}

function serviceChecks(o: ManifestObject): Violation[] {
  const spec = obj(o.object['spec']) ?? {};
  const out: Violation[] = [];
  const externalIPs = Array.isArray(spec['externalIPs']) ? spec['externalIPs'] : [];
  if (externalIPs.length > 0) out.push({ check: 'service-external-ips', message: `Service ${o.name} sets externalIPs ${externalIPs.join(', ')}`, path: 'spec.externalIPs', data: { externalIPs } });
  if (str(spec['type']) === 'NodePort') out.push({ check: 'service-nodeport', message: `Service ${o.name} is of type NodePort: every node exposes it`, path: 'spec.type' });
  return out;
}

/** Which checks apply to an object: violations of others are impossible, so they do not PASS either. */
function applicableChecks(o: ManifestObject): WorkloadCheckId[] {
  if (o.kind === 'Service') return ['service-external-ips', 'service-nodeport'];
  const all = Object.keys(WORKLOAD_CHECKS) as WorkloadCheckId[];
  const longRunning = o.kind !== 'Job' && o.kind !== 'CronJob';
  return all.filter((c) => !c.startsWith('service-') && (longRunning || !c.endsWith('-probe')));
}

function toResult(o: ManifestObject, check: WorkloadCheckId, status: BenchmarkStatus, message: string, path?: string, data?: Record<string, unknown>): BenchmarkCheckResult {
  const c: WorkloadCheck = WORKLOAD_CHECKS[check];
  return objectCheckResult({ id: check, title: c.title, severity: c.severity, remediation: c.remediation, benchmark: WORKLOAD_BENCHMARK }, o, status, message, { path, data });
}

/**
 * Runs the workload checks over every pod template (Pod, PodTemplate, Deployment, StatefulSet,
 * DaemonSet, ReplicaSet, ReplicationController, Job, CronJob) and Service: one result per
 * violation (each naming the offending field's path) and one PASS per check an object passes.
 */
export function checkWorkloads(objects: readonly ManifestObject[]): BenchmarkCheckResult[] {
  const out: BenchmarkCheckResult[] = [];
  for (const o of objects) {
    if (!isWorkloadCheckTarget(o)) continue;
    if (isWorkload(o) && !podTemplateOf(o)) continue;
    const violations = o.kind === 'Service' ? serviceChecks(o) : [...namespaceChecks(o), ...podChecks(o)];
    const failed = new Set<WorkloadCheckId>();
    for (const v of violations) {
      failed.add(v.check);
      out.push(toResult(o, v.check, WORKLOAD_CHECKS[v.check].status, v.message, v.path, v.data));
    }
    for (const check of applicableChecks(o)) if (!failed.has(check)) out.push(toResult(o, check, 'PASS', 'no problem found'));
  }
  return out;
}
