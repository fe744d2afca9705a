import type { FieldAccessor, FieldDefinition, FieldSource, FieldType, FieldValue } from './types';

/**
 * One Kubernetes audit `Event` (audit.k8s.io/v1 or v1beta1) as the k8saudit plugin sees it: the
 * decoded JSON plus the event timestamp (ns since the epoch) the plugin assigns.
 */
export interface K8sAuditEvent {
  readonly source: 'k8s_audit';
  readonly raw: Record<string, unknown>;
  /** Nanoseconds since the epoch (from stageTimestamp, then timestamp). */
  readonly timeNs: bigint;
}

type Json = unknown;

function get(v: Json, ...keys: string[]): Json {
  let cur = v;
  for (const k of keys) {
    if (cur === null || typeof cur !== 'object' || Array.isArray(cur)) return undefined;
    cur = (cur as Record<string, unknown>)[k];
  }
  return cur;
}

/** The k8saudit plugin's jsonValueAsString: strings as-is, anything else as compact JSON. */
function jsonText(v: Json): string {
  return typeof v === 'string' ? v : (JSON.stringify(v) ?? 'null');
}

function jsonString(v: Json): string | undefined {
  return v === undefined ? undefined : jsonText(v);
}

const keys =
  (...path: string[]): FieldAccessor<K8sAuditEvent> =>
  (e) =>
    jsonString(get(e.raw, ...path));

const listOfOne =
  (...path: string[]): FieldAccessor<K8sAuditEvent> =>
  (e) => {
    const v = get(e.raw, ...path);
    return v === undefined || v === null ? undefined : [jsonText(v)];
  };

const listKeys =
  (...path: string[]): FieldAccessor<K8sAuditEvent> =>
  (e) => {
    const v = get(e.raw, ...path);
    if (!Array.isArray(v)) return undefined;
    return v.map((x) => jsonString(x) ?? 'null');
  };

/** `[N]` index filter of list fields: a number selects one element, anything else all. */
function indexFilter(arg: string | undefined): number | undefined {
  if (arg === undefined || !/^-?\d+$/.test(arg)) return undefined;
  return Number(arg);
}

function containers(e: K8sAuditEvent, list: string, index: number | undefined): Json[] | undefined {
  const arr = get(e.raw, 'requestObject', 'spec', list);
  if (!Array.isArray(arr)) return undefined;
  if (index === undefined) return arr;
  if (index < 0 || index >= arr.length) return undefined;
  return [arr[index]];
}

/** Values of `path` in each container; a missing value fails the whole extraction unless skipped. */
function perContainer(list: string, path: string[], skipMissing: boolean): (arg: string | undefined) => FieldAccessor<K8sAuditEvent> {
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

function images(list: string, repository: boolean): (arg: string | undefined) => FieldAccessor<K8sAuditEvent> {
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

function effective(list: string, key: string): (arg: string | undefined) => FieldAccessor<K8sAuditEvent> {
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

function rulesField(key: string): (arg: string | undefined) => FieldAccessor<K8sAuditEvent> {
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

function hostPorts(list: string): (arg: string | undefined) => FieldAccessor<K8sAuditEvent> {
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

function volumes(path: string[]): (arg: string | undefined) => FieldAccessor<K8sAuditEvent> {
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

/** RFC 6901 JSON pointer (`~1` is `/`, `~0` is `~`). */
export function jsonPointer(doc: Json, pointer: string): Json {
  if (pointer === '') return doc;
  if (!pointer.startsWith('/')) return undefined;
  let cur = doc;
  for (const raw of pointer.slice(1).split('/')) {
    const token = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(cur)) {
      if (!/^(0|[1-9]\d*)$/.test(token)) return undefined;
      cur = cur[Number(token)];
    } else if (cur !== null && typeof cur === 'object') {
      cur = Object.prototype.hasOwnProperty.call(cur, token) ? (cur as Record<string, unknown>)[token] : undefined;
    } else return undefined;
    if (cur === undefined) return undefined;
  }
  return cur;
}

/** RFC 3339 with nanoseconds, UTC, as Falco prints times: `2018-10-25T14:09:12.123456789Z`. */
export function formatRfc3339Nano(ns: bigint): string {
  const ms = ns / 1_000_000n;
  const iso = new Date(Number(ms)).toISOString();
  const frac = (((ns % 1_000_000_000n) + 1_000_000_000n) % 1_000_000_000n).toString().padStart(9, '0');
  return `${iso.slice(0, 19)}.${frac}Z`;
}

type Def = [name: string, type: FieldType, arg: FieldDefinition['arg'], accessor: (arg: string | undefined) => FieldAccessor<K8sAuditEvent>];

const always =
  (a: FieldAccessor<K8sAuditEvent>) =>
  (): FieldAccessor<K8sAuditEvent> =>
    a;

function containerListFields(prefix: string, list: string): Def[] {
  return [
    [`${prefix}.image`, 'list', 'optional', images(list, false)],
    [`${prefix}.image.repository`, 'list', 'optional', images(list, true)],
    [`${prefix}.host_port`, 'list', 'optional', hostPorts(list)],
    [`${prefix}.privileged`, 'list', 'optional', perContainer(list, ['securityContext', 'privileged'], true)],
    [`${prefix}.allow_privilege_escalation`, 'list', 'optional', perContainer(list, ['securityContext', 'allowPrivilegeEscalation'], true)],
    [`${prefix}.read_only_fs`, 'list', 'optional', perContainer(list, ['securityContext', 'readOnlyRootFilesystem'], true)],
    [`${prefix}.run_as_user`, 'list', 'optional', perContainer(list, ['securityContext', 'runAsUser'], true)],
    [`${prefix}.eff_run_as_user`, 'list', 'optional', effective(list, 'runAsUser')],
    [`${prefix}.run_as_group`, 'list', 'optional', perContainer(list, ['securityContext', 'runAsGroup'], true)],
    [`${prefix}.eff_run_as_group`, 'list', 'optional', effective(list, 'runAsGroup')],
    [`${prefix}.proc_mount`, 'list', 'optional', perContainer(list, ['securityContext', 'procMount'], true)],
    [`${prefix}.add_capabilities`, 'list', 'optional', perContainer(list, ['securityContext', 'capabilities', 'add'], true)],
  ];
}

/**
 * The fields of falcosecurity/plugins k8saudit (pkg/k8saudit/fields.go, extract.go) and the
 * `jevt.*` / `json.*` fields of the json plugin, with the same extraction semantics (including
 * which missing values fail the extraction and which are skipped).
 */
const DEFS: Def[] = [
  ['ka.auditid', 'string', 'none', always(keys('auditID'))],
  ['ka.stage', 'string', 'none', always(keys('stage'))],
  ['ka.auth.decision', 'string', 'none', always(keys('annotations', 'authorization.k8s.io/decision'))],
  ['ka.auth.reason', 'string', 'none', always(keys('annotations', 'authorization.k8s.io/reason'))],
  ['ka.user.name', 'string', 'none', always(keys('user', 'username'))],
  ['ka.user.groups', 'list', 'none', always(listKeys('user', 'groups'))],
  ['ka.impuser.name', 'string', 'none', always(keys('impersonatedUser', 'username'))],
  ['ka.verb', 'string', 'none', always(keys('verb'))],
  ['ka.uri', 'string', 'none', always(keys('requestURI'))],
  [
    'ka.uri.param',
    'string',
    'required',
    (arg) => (e) => {
      const uri = get(e.raw, 'requestURI');
      if (typeof uri !== 'string') return undefined;
      const q = uri.indexOf('?');
      if (q < 0) return undefined;
      const v = new URLSearchParams(uri.slice(q + 1)).get(arg ?? '');
      return v ?? undefined;
    },
  ],
  ['ka.target.name', 'string', 'none', always(keys('objectRef', 'name'))],
  ['ka.target.namespace', 'string', 'none', always(keys('objectRef', 'namespace'))],
  ['ka.target.resource', 'string', 'none', always(keys('objectRef', 'resource'))],
  ['ka.target.subresource', 'string', 'none', always(keys('objectRef', 'subresource'))],
  ['ka.req.binding.subjects', 'list', 'none', always(listKeys('requestObject', 'subjects'))],
  ['ka.req.binding.role', 'string', 'none', always(keys('requestObject', 'roleRef', 'name'))],
  // Deprecated upstream; the plugin returns "true" like the original implementation did.
  ['ka.req.binding.subject.has_name', 'string', 'required', always(() => 'true')],
  ['ka.req.configmap.name', 'string', 'none', always(keys('objectRef', 'name'))],
  ['ka.req.configmap.obj', 'string', 'none', always(keys('requestObject', 'data'))],
  ...containerListFields('ka.req.pod.containers', 'containers'),
  ...containerListFields('ka.req.pod.initContainers', 'initContainers'),
  ...containerListFields('ka.req.pod.ephemeralContainers', 'ephemeralContainers'),
  [
    'ka.req.container.image',
    'string',
    'none',
    () => (e) => {
      const v = images('containers', false)('0')(e) as string[] | undefined;
      return v?.[0];
    },
  ],
  [
    'ka.req.container.image.repository',
    'string',
    'none',
    () => (e) => {
      const v = images('containers', true)('0')(e) as string[] | undefined;
      return v?.[0];
    },
  ],
  ['ka.req.pod.host_ipc', 'string', 'none', always(keys('requestObject', 'spec', 'hostIPC'))],
  ['ka.req.pod.host_network', 'string', 'none', always(keys('requestObject', 'spec', 'hostNetwork'))],
  ['ka.req.container.host_network', 'string', 'none', always(keys('requestObject', 'spec', 'hostNetwork'))],
  ['ka.req.pod.host_pid', 'string', 'none', always(keys('requestObject', 'spec', 'hostPID'))],
  [
    'ka.req.container.privileged',
    'string',
    'none',
    () => (e) => {
      const cs = containers(e, 'containers', undefined);
      if (!cs) return undefined;
      return cs.some((c) => get(c, 'securityContext', 'privileged') === true) ? 'true' : 'false';
    },
  ],
  ['ka.req.pod.run_as_user', 'string', 'none', always(keys('requestObject', 'spec', 'securityContext', 'runAsUser'))],
  ['ka.req.pod.run_as_group', 'string', 'none', always(keys('requestObject', 'spec', 'securityContext', 'runAsGroup'))],
  ['ka.req.role.rules', 'list', 'none', always(listKeys('requestObject', 'rules'))],
  ['ka.req.role.rules.apiGroups', 'list', 'optional', rulesField('apiGroups')],
  ['ka.req.role.rules.nonResourceURLs', 'list', 'optional', rulesField('nonResourceURLs')],
  ['ka.req.role.rules.verbs', 'list', 'optional', rulesField('verbs')],
  ['ka.req.role.rules.resources', 'list', 'optional', rulesField('resources')],
  ['ka.req.pod.fs_group', 'string', 'none', always(keys('requestObject', 'spec', 'securityContext', 'fsGroup'))],
  ['ka.req.pod.supplemental_groups', 'list', 'none', always(listKeys('requestObject', 'spec', 'securityContext', 'supplementalGroups'))],
  ['ka.req.service.type', 'string', 'none', always(keys('requestObject', 'spec', 'type'))],
  // Upstream reaches `ports` as the last key, so the value is the whole array as one JSON string.
  ['ka.req.service.ports', 'list', 'optional', always(listOfOne('requestObject', 'spec', 'ports'))],
  ['ka.req.pod.volumes.hostpath', 'list', 'optional', volumes(['hostPath', 'path'])],
  ['ka.req.pod.volumes.flexvolume_driver', 'list', 'optional', volumes(['flexVolume', 'driver'])],
  [
    'ka.req.pod.volumes.volume_type',
    'list',
    'optional',
    (arg) => {
      const index = indexFilter(arg);
      return (e) => {
        let vols = get(e.raw, 'requestObject', 'spec', 'volumes');
        if (!Array.isArray(vols)) return undefined;
        if (index !== undefined) vols = index >= 0 && index < vols.length ? [vols[index]] : [];
        const out: string[] = [];
        for (const v of vols as Json[]) if (v && typeof v === 'object') for (const k of Object.keys(v)) if (k !== 'name') out.push(k);
        return out;
      };
    },
  ],
  [
    'ka.req.volume.hostpath',
    'string',
    'required',
    (arg) => {
      const key = arg ?? '';
      const prefix = key.endsWith('*') ? key.slice(0, -1) : undefined;
      return (e) => {
        const paths = volumes(['hostPath', 'path'])(undefined)(e) as string[] | undefined;
        if (!paths) return undefined;
        return paths.some((p) => (prefix !== undefined && p.startsWith(prefix)) || p === key) ? 'true' : 'false';
      };
    },
  ],
  ['ka.resp.name', 'string', 'none', always(keys('responseObject', 'metadata', 'name'))],
  ['ka.response.code', 'string', 'none', always(keys('responseStatus', 'code'))],
  ['ka.response.reason', 'string', 'none', always(keys('responseStatus', 'reason'))],
  ['ka.useragent', 'string', 'none', always(keys('userAgent'))],
  ['ka.sourceips', 'list', 'optional', always(listKeys('sourceIPs'))],
  ['ka.cluster.name', 'string', 'none', always(() => undefined)],
];

function jsonFields(prefix: 'jevt' | 'json'): Def[] {
  return [
    [
      `${prefix}.value`,
      'string',
      'required',
      (arg) => {
        if (arg === undefined || (arg !== '' && !arg.startsWith('/'))) throw new Error(`${prefix}.value needs a JSON pointer argument such as [/user/username], got [${arg ?? ''}]`);
        return (e) => jsonString(jsonPointer(e.raw, arg));
      },
    ],
    [`${prefix}.obj`, 'string', 'none', always((e) => JSON.stringify(e.raw))],
    [`${prefix}.time`, 'string', 'none', always((e) => formatRfc3339Nano(e.timeNs))],
    [`${prefix}.time.iso8601`, 'string', 'none', always((e) => formatRfc3339Nano(e.timeNs))],
    [`${prefix}.rawtime`, 'number', 'none', always((e) => Number(e.timeNs))],
  ];
}

/** Upstream ExtractFromJSON discards JSON without `auditID`: no ka.* field is available on it. */
function requireAuditId(make: (arg: string | undefined) => FieldAccessor<K8sAuditEvent>): (arg: string | undefined) => FieldAccessor<K8sAuditEvent> {
  return (arg) => {
    const inner = make(arg);
    return (e) => (e.raw['auditID'] === undefined ? undefined : inner(e));
  };
}

const K8S_FIELDS = new Map<string, FieldDefinition<K8sAuditEvent>>([
  ...DEFS.map(([name, type, arg, accessor]): [string, FieldDefinition<K8sAuditEvent>] => [name, { name, type, arg, accessor: requireAuditId(accessor) }]),
  ...[...jsonFields('jevt'), ...jsonFields('json')].map(([name, type, arg, accessor]): [string, FieldDefinition<K8sAuditEvent>] => [name, { name, type, arg, accessor }]),
]);

export const k8sAuditFields: FieldSource<K8sAuditEvent> = {
  source: 'k8s_audit',
  lookup: (name) => K8S_FIELDS.get(name),
};

export function k8sAuditFieldValue(e: K8sAuditEvent, name: string, arg?: string): FieldValue {
  const d = K8S_FIELDS.get(name);
  if (!d) return undefined;
  try {
    return d.accessor(arg)(e);
  } catch {
    return undefined;
  }
}

