import { formatRfc3339Nano, get, jsonPointer, jsonString, type Json, type K8sAuditEvent } from './k8saudit-event';
import { containers, effective, hostPorts, images, indexFilter, keys, listKeys, listOfOne, perContainer, rulesField, volumes } from './k8saudit-extractors';
import type { FieldAccessor, FieldDefinition, FieldSource, FieldType, FieldValue } from './types';

export { formatRfc3339Nano, jsonPointer, type K8sAuditEvent } from './k8saudit-event';

// The k8s_audit field source: the field table below; the event and its JSON helpers are in
// k8saudit-event.ts, the extraction of pod-spec values in k8saudit-extractors.ts.

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

