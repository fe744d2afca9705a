import { get, jsonString, jsonText, type Json, type K8sAuditEvent } from './k8saudit-event';
import type { FieldAccessor } from './types';

/**
 * Accessors of the k8saudit plugin's fields (pkg/k8saudit/extract.go): plain keys, lists, and the
 * per-container, RBAC-rule, host-port and volume extractions of pod specs.
 */

export const keys =
  (...path: string[]): FieldAccessor<K8sAuditEvent> =>
  (e) =>
    jsonString(get(e.raw, ...path));

export const listOfOne =
  (...path: string[]): FieldAccessor<K8sAuditEvent> =>
  (e) => {
    const v = get(e.raw, ...path);
    return v === undefined || v === null ? undefined : [jsonText(v)];
  };

export const listKeys =
  (...path: string[]): FieldAccessor<K8sAuditEvent> =>
  (e) => {
    const v = get(e.raw, ...path);
    if (!Array.isArray(v)) return undefined;
    return v.map((x) => jsonString(x) ?? 'null');
  };

/** `[N]` index filter of list fields: a number selects one element, anything else all. */
export function indexFilter(arg: string | undefined): number | undefined {
  if (arg === undefined || !/^-?\d+$/.test(arg)) return undefined;
  return Number(arg);
}

export function containers(e: K8sAuditEvent, list: string, index: number | undefined): Json[] | undefined {
  const arr = get(e.raw, 'requestObject', 'spec', list);
  if (!Array.isArray(arr)) return undefined;
  if (index === undefined) return arr;
  if (index < 0 || index >= arr.length) return undefined;
  return [arr[index]];
}

/** Values of `path` in each container; a missing value fails the whole extraction unless skipped. */
export function perContainer(list: string, path: string[], skipMissing: boolean): (arg: string | undefined) => FieldAccessor<K8sAuditEvent> {
  return (arg) => {
    const index = indexFilter(arg);
    return (e) => {
      const cs = containers(e, list, index);
      if (!cs) return undefined;
      const out: string[] = [];
      for (const c of cs) {
        const v = get(c, ...path);
        if (v === undefined || v === null) {
          if (skipMissing) continue;
          return undefined;
        }
        out.push(jsonText(v));
      }
      return out;
    };
  };
}

const repositoryOf = (image: string): string => image.split(':')[0].split('@')[0];

export function images(list: string, repository: boolean): (arg: string | undefined) => FieldAccessor<K8sAuditEvent> {
  const base = perContainer(list, ['image'], false);
  return (arg) => {
    const read = base(arg);
    return repository
      ? (e) => {
          const v = read(e) as string[] | undefined;
          return v?.map(repositoryOf);
        }
      : read;
  };
}

export function effective(list: string, key: string): (arg: string | undefined) => FieldAccessor<K8sAuditEvent> {
  return (arg) => {
    const index = indexFilter(arg);
    return (e) => {
      const podValue = get(e.raw, 'requestObject', 'spec', key);
      const podDefault = podValue === undefined ? '0' : jsonText(podValue);
      const cs = containers(e, list, index);
      if (!cs) return undefined;
      return cs.map((c) => {
        // As upstream readFromContainerEffectively: `<container>.<key>`, not its securityContext.
        const v = get(c, key);
        return v === undefined || v === null ? podDefault : jsonText(v);
      });
    };
  };
}

export function rulesField(key: string): (arg: string | undefined) => FieldAccessor<K8sAuditEvent> {
  return (arg) => {
    const index = indexFilter(arg);
    return (e) => {
      let rules = get(e.raw, 'requestObject', 'rules');
      if (!Array.isArray(rules)) return undefined;
      if (index !== undefined) {
        if (index < 0 || index >= rules.length) return undefined;
        rules = [rules[index]];
      }
      const out: string[] = [];
      for (const r of rules as Json[]) {
        const v = get(r, key);
        if (Array.isArray(v)) for (const x of v) if (x !== null && x !== undefined) out.push(jsonText(x));
      }
      return out;
    };
  };
}

export function hostPorts(list: string): (arg: string | undefined) => FieldAccessor<K8sAuditEvent> {
  return (arg) => {
    const index = indexFilter(arg);
    return (e) => {
      const cs = containers(e, list, index);
      if (!cs) return undefined;
      const out: string[] = [];
      for (const c of cs) {
        const ports = get(c, 'ports');
        if (ports === undefined || ports === null) continue;
        if (!Array.isArray(ports)) return undefined;
        for (const p of ports) {
          const hp = get(p, 'hostPort') ?? get(p, 'containerPort');
          if (hp !== undefined) out.push(jsonText(hp));
        }
      }
      return out;
    };
  };
}

export function volumes(path: string[]): (arg: string | undefined) => FieldAccessor<K8sAuditEvent> {
  return (arg) => {
    const index = indexFilter(arg);
    return (e) => {
      let vols = get(e.raw, 'requestObject', 'spec', 'volumes');
      if (!Array.isArray(vols)) return undefined;
      if (index !== undefined) {
        if (index < 0 || index >= vols.length) return undefined;
        vols = [vols[index]];
      }
      const out: string[] = [];
      for (const v of vols as Json[]) {
        const x = get(v, ...path);
        if (x !== undefined && x !== null) out.push(jsonText(x));
      }
      return out;
    };
  };
}
