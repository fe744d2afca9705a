import { evaluatePod } from '../pss/evaluator';
import { podTemplateOf } from '../k8s/workloads';
import { obj, objs, str, stringMap, type KObject } from '../k8s/objects';
import { inventoryKind } from './kinds';

/** One object of the cluster as the inventory keeps it: identity plus the sanitised object. */
export interface ClusterObject {
  uid: string;
  kind: string;
  apiVersion: string;
  /** "" for cluster-scoped kinds. */
  namespace: string;
  name: string;
  resourceVersion: string;
  object: KObject;
}

export interface OwnerRef {
  kind: string;
  name: string;
  uid: string;
}

export type ContainerType = 'init' | 'container' | 'ephemeral';

/** One container of a workload: the image its spec names and, for a Pod, what actually runs. */
export interface WorkloadImage {
  containerType: ContainerType;
  container: string;
  /** The image reference in the spec (`nginx:1.27`). */
  image: string;
  /** `containerStatuses[].imageID` as the kubelet reported it ("" before the container started). */
  imageId: string;
  /** The manifest digest the container runs (`sha256:…`), when the imageID names one. */
  digest: string | null;
  /** The repository that digest was pulled from (`registry.example/app`), when the imageID names it. */
  repository: string | null;
}

export const POD_SECURITY_LEVELS = ['privileged', 'baseline', 'restricted'] as const;
export type PodSecurityLevel = (typeof POD_SECURITY_LEVELS)[number];

/** A Pod or workload controller with its owner chain (a cluster_workload row). */
export interface Workload {
  uid: string;
  kind: string;
  apiVersion: string;
  namespace: string;
  name: string;
  /** The controlling owner (ownerReferences with controller: true, else the first), if any. */
  owner: OwnerRef | null;
  /** The top of the owner chain: Pod → ReplicaSet → Deployment gives the Deployment; itself without owner. */
  root: OwnerRef;
  /** The finding target its checks report on (clusterTarget). */
  target: string;
  serviceAccount: string;
  /** Names only: the inventory never reads a Secret. */
  imagePullSecrets: string[];
  labels: Record<string, string>;
  nodeName: string;
  /** Pod phase (Running, Pending, …); "" for controllers. */
  phase: string;
  /** Highest Pod Security Standards level (latest) its pod or pod template satisfies. */
  podSecurityLevel: PodSecurityLevel | null;
  resourceVersion: string;
  images: WorkloadImage[];
}

/** The finding target of an object of a cluster: `cluster/<cluster>/<Kind>/<namespace>/<name>`. */
export function clusterTarget(cluster: string, o: { kind: string; namespace: string; name: string }): string {
  return o.namespace ? `cluster/${cluster}/${o.kind}/${o.namespace}/${o.name}` : `cluster/${cluster}/${o.kind}/${o.name}`;
}

/** Cluster names: they are keys and parts of finding targets. */
export const CLUSTER_NAME_PATTERN = /^[a-z0-9]([a-z0-9.-]{0,61}[a-z0-9])?$/;

/**
 * An API object as the inventory keeps it, or undefined when it lacks identity (no uid or name):
 * managedFields and the last-applied annotation are dropped (bulk, and the latter may repeat
 * what a user applied verbatim).
 */
export function toClusterObject(raw: unknown, fallbackKind: string, fallbackApiVersion: string): ClusterObject | undefined {
  const object = obj(raw);
  const metadata = obj(object?.['metadata']);
  if (!object || !metadata) return undefined;
  const uid = str(metadata['uid']);
  const name = str(metadata['name']);
  if (!uid || !name) return undefined;
  const kind = str(object['kind']) || fallbackKind;
  const apiVersion = str(object['apiVersion']) || fallbackApiVersion;
  const { managedFields: _managed, ...keptMetadata } = metadata;
  const annotations = obj(keptMetadata['annotations']);
  if (annotations && 'kubectl.kubernetes.io/last-applied-configuration' in annotations) {
    const { ['kubectl.kubernetes.io/last-applied-configuration']: _applied, ...rest } = annotations;
    keptMetadata['annotations'] = rest;
  }
  return {
    uid,
    kind,
    apiVersion,
    namespace: inventoryKind(kind)?.namespaced === false ? '' : str(metadata['namespace']),
    name,
    resourceVersion: str(metadata['resourceVersion']),
    object: { ...object, kind, apiVersion, metadata: keptMetadata },
  };
}

/** The controlling owner of an object: ownerReferences with `controller: true`, else the first. */
export function controllerOf(o: ClusterObject): OwnerRef | null {
  const refs = objs(obj(o.object['metadata'])?.['ownerReferences']);
  const ref = refs.find((r) => r['controller'] === true) ?? refs[0];
  if (!ref) return null;
  const kind = str(ref['kind']);
  const name = str(ref['name']);
  const uid = str(ref['uid']);
  return kind && name && uid ? { kind, name, uid } : null;
}

/**
 * A workload with its owner chain resolved through `lookup` (the inventory by uid). An owner the
 * inventory does not hold (not listed yet, or in a kind it does not watch) ends the chain there.
 */
export function toWorkload(cluster: string, o: ClusterObject, lookup: (uid: string) => ClusterObject | undefined): Workload {
  const owner = controllerOf(o);
  let root: OwnerRef = { kind: o.kind, name: o.name, uid: o.uid };
  const seen = new Set<string>([o.uid]);
  for (let ref = owner; ref && !seen.has(ref.uid); ) {
    seen.add(ref.uid);
    root = ref;
    const next = lookup(ref.uid);
    ref = next ? controllerOf(next) : null;
  }
  const template = podTemplateOf(o);
  const spec = template?.spec ?? {};
  const status = o.kind === 'Pod' ? obj(o.object['status']) : undefined;
  return {
    uid: o.uid,
    kind: o.kind,
    apiVersion: o.apiVersion,
    namespace: o.namespace,
    name: o.name,
    owner,
    root,
    target: clusterTarget(cluster, o),
    serviceAccount: str(spec['serviceAccountName']) || str(spec['serviceAccount']) || (template ? 'default' : ''),
    imagePullSecrets: objs(spec['imagePullSecrets']).map((s) => str(s['name'])).filter(Boolean),
    labels: stringMap(obj(o.object['metadata'])?.['labels']),
    nodeName: str(spec['nodeName']),
    phase: str(status?.['phase']),
    podSecurityLevel: template ? podSecurityLevel(template.metadata, template.spec) : null,
    resourceVersion: o.resourceVersion,
    images: template ? workloadImages(spec, status) : [],
  };
}

function podSecurityLevel(metadata: KObject, spec: KObject): PodSecurityLevel {
  if (evaluatePod(metadata, spec, 'restricted').allowed) return 'restricted';
  if (evaluatePod(metadata, spec, 'baseline').allowed) return 'baseline';
  return 'privileged';
}

const CONTAINER_FIELDS: readonly [ContainerType, string, string][] = [
  ['init', 'initContainers', 'initContainerStatuses'],
  ['container', 'containers', 'containerStatuses'],
  ['ephemeral', 'ephemeralContainers', 'ephemeralContainerStatuses'],
];

function workloadImages(spec: KObject, status: KObject | undefined): WorkloadImage[] {
  const out: WorkloadImage[] = [];
  for (const [containerType, specField, statusField] of CONTAINER_FIELDS) {
    const statuses = new Map(objs(status?.[statusField]).map((s) => [str(s['name']), s]));
    for (const c of objs(spec[specField])) {
      const container = str(c['name']);
      if (!container) continue;
      const imageId = str(statuses.get(container)?.['imageID']);
      out.push({ containerType, container, image: str(c['image']), imageId, ...parseImageId(imageId) });
    }
  }
  return out;
}

const DIGEST = /^sha256:[a-f0-9]{64}$/;

/**
 * The digest and repository in a kubelet imageID: `docker-pullable://reg/app@sha256:…` (dockershim),
 * `reg/app@sha256:…` (containerd, CRI-O). A bare `sha256:…` (some runtimes: the image id, not a
 * manifest digest) gives the digest without a repository.
 */
export function parseImageId(imageId: string): { digest: string | null; repository: string | null } {
  const id = imageId.replace(/^[a-z-]+:\/\//, '');
  const at = id.lastIndexOf('@');
  if (at > 0 && DIGEST.test(id.slice(at + 1))) return { digest: id.slice(at + 1), repository: id.slice(0, at) };
  if (DIGEST.test(id)) return { digest: id, repository: null };
  return { digest: null, repository: null };
}
