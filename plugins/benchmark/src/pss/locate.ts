import { isObject, obj, type KObject } from '../k8s/objects';
import { fieldPath, podMetadataSegments, podSpecSegments, type PathSegment } from '../k8s/paths';
import type { PodTemplate } from '../k8s/workloads';

/**
 * The field a Pod Security Standards violation is about, as a path in the workload
 * (`spec.template.spec.containers[1].securityContext.privileged`). The checks mirror upstream and
 * report reasons, not fields; this finds the first offending field again: the container's setting
 * when a container is at fault, the pod's when the pod is, and otherwise the field that should be
 * set (the location resolver then points at its nearest existing ancestor). Undefined when no
 * single field is at fault.
 */
export function pssViolationPath(kind: string, template: PodTemplate, check: string): string | undefined {
  const found = find(template, check);
  if (!found) return undefined;
  const base = found[0] === METADATA ? podMetadataSegments(kind) : podSpecSegments(kind);
  return fieldPath([...base, ...found.slice(1)]);
}

// First segment marker of a path relative to the pod template's metadata (else: its spec).
const METADATA = '\0metadata';
const SPEC = '\0spec';

const CONTAINER_LISTS = ['initContainers', 'containers', 'ephemeralContainers'] as const;

// Capabilities the baseline level allows to be added (checks-baseline.ts).
const BASELINE_CAPABILITIES = new Set([
  'AUDIT_WRITE', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'MKNOD', 'NET_BIND_SERVICE', 'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_CHROOT',
]);
const SAFE_VOLUME_SOURCES = new Set(['name', 'configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'image', 'persistentVolumeClaim', 'projected', 'secret']);

type Found = PathSegment[];

/** Containers with their paths (relative to the pod spec), in upstream's visiting order. */
function containers(spec: KObject): { c: KObject; at: PathSegment[] }[] {
  const out: { c: KObject; at: PathSegment[] }[] = [];
  for (const list of CONTAINER_LISTS) {
    const items = spec[list];
    if (!Array.isArray(items)) continue;
    items.forEach((c, i) => {
      if (isObject(c)) out.push({ c, at: [list, i] });
    });
  }
  return out;
}

function sc(o: KObject): KObject {
  return obj(o['securityContext']) ?? {};
}

/** The first container whose securityContext field satisfies `bad`. */
function containerField(spec: KObject, field: string, bad: (value: unknown) => boolean): Found | undefined {
  for (const { c, at } of containers(spec)) if (bad(sc(c)[field])) return [SPEC, ...at, 'securityContext', field];
  return undefined;
}

/**
 * A setting that may be made at pod level and overridden per container: a container that sets it
 * badly, else the pod if it does, else (the setting is missing) the first container without it.
 */
function podOrContainer(spec: KObject, field: string, good: (value: unknown) => boolean): Found | undefined {
  const explicitBad = containerField(spec, field, (v) => v !== undefined && v !== null && !good(v));
  if (explicitBad) return explicitBad;
  const pod = sc(spec)[field];
  if (pod !== undefined && pod !== null && !good(pod)) return [SPEC, 'securityContext', field];
  if (good(pod)) return undefined;
  return containerField(spec, field, (v) => v === undefined || v === null) ?? [SPEC, 'securityContext', field];
}

function find(template: PodTemplate, check: string): Found | undefined {
  const spec = template.spec;
  switch (check) {
    case 'privileged':
      return containerField(spec, 'privileged', (v) => v === true);
    case 'hostNamespaces':
      for (const f of ['hostNetwork', 'hostPID', 'hostIPC']) if (spec[f] === true) return [SPEC, f];
      return undefined;
    case 'hostPathVolumes':
      return volume(spec, (v) => isObject(v['hostPath']), 'hostPath');
    case 'restrictedVolumes':
      return volume(spec, (v) => Object.keys(v).some((k) => !SAFE_VOLUME_SOURCES.has(k) && v[k] !== null && v[k] !== undefined));
    case 'hostPorts':
      for (const { c, at } of containers(spec)) {
        const ports = c['ports'];
        if (!Array.isArray(ports)) continue;
        const i = ports.findIndex((p) => isObject(p) && typeof p['hostPort'] === 'number' && p['hostPort'] !== 0);
        if (i >= 0) return [SPEC, ...at, 'ports', i, 'hostPort'];
      }
      return undefined;
    case 'capabilities_baseline':
      for (const { c, at } of containers(spec)) {
        const add = obj(sc(c)['capabilities'])?.['add'];
        if (Array.isArray(add) && add.some((a) => typeof a === 'string' && !BASELINE_CAPABILITIES.has(a))) return [SPEC, ...at, 'securityContext', 'capabilities', 'add'];
      }
      return undefined;
    case 'capabilities_restricted':
      for (const { c, at } of containers(spec)) {
        const caps = obj(sc(c)['capabilities']);
        const add = caps?.['add'];
        if (Array.isArray(add) && add.some((a) => a !== 'NET_BIND_SERVICE')) return [SPEC, ...at, 'securityContext', 'capabilities', 'add'];
        const drop = caps?.['drop'];
        if (!Array.isArray(drop) || !drop.includes('ALL')) return [SPEC, ...at, 'securityContext', 'capabilities', 'drop'];
      }
      return undefined;
    case 'allowPrivilegeEscalation':
      return containerField(spec, 'allowPrivilegeEscalation', (v) => v !== false);
    case 'runAsNonRoot':
      return podOrContainer(spec, 'runAsNonRoot', (v) => v === true);
    case 'runAsUser':
      return containerField(spec, 'runAsUser', (v) => v === 0) ?? (sc(spec)['runAsUser'] === 0 ? [SPEC, 'securityContext', 'runAsUser'] : undefined);
    case 'seccompProfile_baseline':
      return containerField(spec, 'seccompProfile', (v) => obj(v)?.['type'] === 'Unconfined') ?? (obj(sc(spec)['seccompProfile'])?.['type'] === 'Unconfined' ? [SPEC, 'securityContext', 'seccompProfile', 'type'] : undefined);
    case 'seccompProfile_restricted':
      return podOrContainer(spec, 'seccompProfile', (v) => ['RuntimeDefault', 'Localhost'].includes(String(obj(v)?.['type'])));
    case 'seLinuxOptions':
      return containerField(spec, 'seLinuxOptions', (v) => isObject(v)) ?? (isObject(sc(spec)['seLinuxOptions']) ? [SPEC, 'securityContext', 'seLinuxOptions'] : undefined);
    case 'procMount':
    case 'procMount_restricted':
      return containerField(spec, 'procMount', (v) => typeof v === 'string' && v !== 'Default');
    case 'sysctls':
      return isObject(sc(spec)) && Array.isArray(sc(spec)['sysctls']) ? [SPEC, 'securityContext', 'sysctls'] : undefined;
    case 'windowsHostProcess':
      return containerField(spec, 'windowsOptions', (v) => obj(v)?.['hostProcess'] === true) ?? (obj(sc(spec)['windowsOptions'])?.['hostProcess'] === true ? [SPEC, 'securityContext', 'windowsOptions'] : undefined);
    case 'appArmorProfile': {
      const unconfined = (v: unknown) => obj(v)?.['type'] === 'Unconfined' || (obj(v)?.['type'] === 'Localhost' && !obj(v)?.['localhostProfile']);
      const field = containerField(spec, 'appArmorProfile', unconfined) ?? (unconfined(sc(spec)['appArmorProfile']) ? [SPEC, 'securityContext', 'appArmorProfile'] : undefined);
      if (field) return field;
      const annotations = obj(template.metadata['annotations']) ?? {};
      const key = Object.keys(annotations).find((k) => k.startsWith('container.apparmor.security.beta.kubernetes.io/') && annotations[k] !== 'runtime/default' && !String(annotations[k]).startsWith('localhost/'));
      return key ? [METADATA, 'annotations', key] : undefined;
    }
    case 'hostProbesAndHostLifecycle':
      for (const { c, at } of containers(spec)) {
        for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe']) {
          const handler = obj(c[probe]);
          for (const h of ['httpGet', 'tcpSocket']) if (obj(handler?.[h])?.['host']) return [SPEC, ...at, probe, h, 'host'];
        }
        const lifecycle = obj(c['lifecycle']);
        for (const hook of ['postStart', 'preStop']) {
          for (const h of ['httpGet', 'tcpSocket']) if (obj(obj(lifecycle?.[hook])?.[h])?.['host']) return [SPEC, ...at, 'lifecycle', hook, h, 'host'];
        }
      }
      return undefined;
    default:
      return undefined;
  }
}

function volume(spec: KObject, bad: (v: KObject) => boolean, field?: string): Found | undefined {
  const volumes = spec['volumes'];
  if (!Array.isArray(volumes)) return undefined;
  const i = volumes.findIndex((v) => isObject(v) && bad(v));
  if (i < 0) return undefined;
  return field ? [SPEC, 'volumes', i, field] : [SPEC, 'volumes', i];
}
