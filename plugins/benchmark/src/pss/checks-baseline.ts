// Baseline Pod Security Standards checks, ported from kubernetes/pod-security-admission
// policy/check_*.go. Reason and detail strings are upstream's, verbatim: users grep for them.
import { isSet, isTrue, obj, objs, str, stringMap, strs, type KObject } from '../k8s/objects';
import { joinQuote, pluralize, securityContext, sortedSet, usesUserNamespace, visitContainers } from './helpers';
import { ALLOWED, forbidden, type PodMetadata, type PodSpec, type PssCheck, type PssCheckResult } from './types';

const containerName = (c: KObject): string => str(c['name']);
const containersPhrase = (names: readonly string[]): string => `${pluralize('container', 'containers', names.length)} ${joinQuote(names)}`;

export function privileged(_m: PodMetadata, spec: PodSpec): PssCheckResult {
  const bad: string[] = [];
  visitContainers(spec, (c) => {
    if (isTrue(securityContext(c)?.['privileged'])) bad.push(containerName(c));
  });
  if (bad.length === 0) return ALLOWED;
  return forbidden('privileged', `${containersPhrase(bad)} must not set securityContext.privileged=true`);
}

export function hostNamespaces(_m: PodMetadata, spec: PodSpec): PssCheckResult {
  const bad: string[] = [];
  if (isTrue(spec['hostNetwork'])) bad.push('hostNetwork=true');
  if (isTrue(spec['hostPID'])) bad.push('hostPID=true');
  if (isTrue(spec['hostIPC'])) bad.push('hostIPC=true');
  if (bad.length === 0) return ALLOWED;
  return forbidden('host namespaces', bad.join(', '));
}

const CAPABILITIES_ALLOWED_1_0 = new Set([
  'AUDIT_WRITE', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'MKNOD',
  'NET_BIND_SERVICE', 'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_CHROOT',
]);

export function capabilitiesBaseline(_m: PodMetadata, spec: PodSpec): PssCheckResult {
  const bad: string[] = [];
  const nonDefault: string[] = [];
  visitContainers(spec, (c) => {
    const caps = obj(securityContext(c)?.['capabilities']);
    if (!caps) return;
    let valid = true;
    for (const cap of strs(caps['add'])) {
      if (!CAPABILITIES_ALLOWED_1_0.has(cap)) {
        valid = false;
        nonDefault.push(cap);
      }
    }
    if (!valid) bad.push(containerName(c));
  });
  if (bad.length === 0) return ALLOWED;
  return forbidden(
    'non-default capabilities',
    `${containersPhrase(bad)} must not include ${joinQuote(sortedSet(nonDefault))} in securityContext.capabilities.add`,
  );
}

export function hostPathVolumes(_m: PodMetadata, spec: PodSpec): PssCheckResult {
  const bad = objs(spec['volumes'])
    .filter((v) => isSet(v['hostPath']))
    .map((v) => str(v['name']));
  if (bad.length === 0) return ALLOWED;
  return forbidden('hostPath volumes', `${pluralize('volume', 'volumes', bad.length)} ${joinQuote(bad)}`);
}

export function hostPorts(_m: PodMetadata, spec: PodSpec): PssCheckResult {
  const bad: string[] = [];
  const ports: string[] = [];
  visitContainers(spec, (c) => {
    let valid = true;
    for (const port of objs(c['ports'])) {
      const hostPort = port['hostPort'];
      if (typeof hostPort === 'number' && hostPort !== 0) {
        valid = false;
        ports.push(String(Math.trunc(hostPort)));
      }
    }
    if (!valid) bad.push(containerName(c));
  });
  if (bad.length === 0) return ALLOWED;
  const unique = sortedSet(ports);
  return forbidden(
    'hostPort',
    `${containersPhrase(bad)} ${pluralize('uses', 'use', bad.length)} ${pluralize('hostPort', 'hostPorts', unique.length)} ${unique.join(', ')}`,
  );
}

const APPARMOR_ANNOTATION_PREFIX = 'container.apparmor.security.beta.kubernetes.io/';

function allowedAppArmorAnnotation(profile: string): boolean {
  return profile.length === 0 || profile === 'runtime/default' || profile.startsWith('localhost/');
}

function allowedAppArmorType(type: unknown): boolean {
  return type === 'RuntimeDefault' || type === 'Localhost';
}

/** Single upstream version (1.0+): the appArmorProfile fields and the beta annotations. */
export function appArmorProfile(metadata: PodMetadata, spec: PodSpec): PssCheckResult {
  const badSetters: string[] = [];
  const badValues: string[] = [];
  const podProfile = obj(obj(spec['securityContext'])?.['appArmorProfile']);
  if (podProfile && !allowedAppArmorType(podProfile['type'])) {
    badSetters.push('pod');
    badValues.push(str(podProfile['type']));
  }
  const badContainers: string[] = [];
  visitContainers(spec, (c) => {
    const profile = obj(securityContext(c)?.['appArmorProfile']);
    if (profile && !allowedAppArmorType(profile['type'])) {
      badContainers.push(containerName(c));
      badValues.push(str(profile['type']));
    }
  });
  if (badContainers.length > 0) badSetters.push(containersPhrase(badContainers));

  const badAnnotations: string[] = [];
  for (const [key, value] of Object.entries(stringMap(metadata['annotations']))) {
    if (key.startsWith(APPARMOR_ANNOTATION_PREFIX) && !allowedAppArmorAnnotation(value)) {
      badAnnotations.push(`${key}=${goQuote(value)}`);
    }
  }
  const badValueList = sortedSet(badValues);
  if (badAnnotations.length > 0) {
    badAnnotations.sort();
    badValueList.push(...badAnnotations);
    badSetters.push(pluralize('annotation', 'annotations', badAnnotations.length));
  }
  if (badSetters.length === 0) return ALLOWED;
  return forbidden(
    pluralize('forbidden AppArmor profile', 'forbidden AppArmor profiles', badValueList.length),
    `${badSetters.join(' and ')} must not set AppArmor profile type to ${joinQuote(badValueList)}`,
  );
}

const SELINUX_TYPES_1_0 = ['', 'container_t', 'container_init_t', 'container_kvm_t'];
const SELINUX_TYPES_1_31 = [...SELINUX_TYPES_1_0, 'container_engine_t'];

function seLinuxOptionsWith(allowedTypes: ReadonlySet<string>) {
  return (_m: PodMetadata, spec: PodSpec): PssCheckResult => {
    const badSetters: string[] = [];
    const badTypes: string[] = [];
    let setUser = false;
    let setRole = false;
    const valid = (opts: KObject): boolean => {
      let ok = true;
      const type = str(opts['type']);
      if (!allowedTypes.has(type)) {
        ok = false;
        badTypes.push(type);
      }
      if (str(opts['user']).length > 0) {
        ok = false;
        setUser = true;
      }
      if (str(opts['role']).length > 0) {
        ok = false;
        setRole = true;
      }
      return ok;
    };
    const podOpts = obj(obj(spec['securityContext'])?.['seLinuxOptions']);
    if (podOpts && !valid(podOpts)) badSetters.push('pod');
    const badContainers: string[] = [];
    visitContainers(spec, (c) => {
      const opts = obj(securityContext(c)?.['seLinuxOptions']);
      if (opts && !valid(opts)) badContainers.push(containerName(c));
    });
    if (badContainers.length > 0) badSetters.push(containersPhrase(badContainers));
    if (badSetters.length === 0) return ALLOWED;
    const badData: string[] = [];
    const types = sortedSet(badTypes);
    if (types.length > 0) badData.push(`${pluralize('type', 'types', types.length)} ${joinQuote(types)}`);
    if (setUser) badData.push('user may not be set');
    if (setRole) badData.push('role may not be set');
    return forbidden('seLinuxOptions', `${badSetters.join(' and ')} set forbidden securityContext.seLinuxOptions: ${badData.join('; ')}`);
  };
}

/** Unconditional block of non-default procMount (baseline before 1.35, restricted from 1.35). */
export function procMount1_0(_m: PodMetadata, spec: PodSpec): PssCheckResult {
  const bad: string[] = [];
  const types: string[] = [];
  visitContainers(spec, (c) => {
    const pm = securityContext(c)?.['procMount'];
    if (!isSet(pm)) return;
    if (pm !== 'Default') {
      bad.push(containerName(c));
      types.push(str(pm));
    }
  });
  if (bad.length === 0) return ALLOWED;
  return forbidden('procMount', `${containersPhrase(bad)} must not set securityContext.procMount to ${joinQuote(sortedSet(types))}`);
}

/** From 1.35 baseline allows an unmasked /proc for pods in a user namespace (KEP-127). */
function procMount1_35Baseline(m: PodMetadata, spec: PodSpec): PssCheckResult {
  if (usesUserNamespace(spec)) return ALLOWED;
  return procMount1_0(m, spec);
}

const SECCOMP_POD_ANNOTATION = 'seccomp.security.alpha.kubernetes.io/pod';
const SECCOMP_CONTAINER_ANNOTATION_PREFIX = 'container.seccomp.security.alpha.kubernetes.io/';

export function validSeccompType(type: unknown): boolean {
  return type === 'Localhost' || type === 'RuntimeDefault';
}

function validSeccompAnnotation(value: string): boolean {
  return value === 'runtime/default' || value === 'docker/default' || value.startsWith('localhost/');
}

/** Before 1.19 seccomp was configured by alpha annotations. */
function seccompBaseline1_0(metadata: PodMetadata, spec: PodSpec): PssCheckResult {
  const annotations = stringMap(metadata['annotations']);
  const bad = new Set<string>();
  const podValue = annotations[SECCOMP_POD_ANNOTATION];
  if (podValue !== undefined && !validSeccompAnnotation(podValue)) bad.add(`${SECCOMP_POD_ANNOTATION}=${goQuote(podValue)}`);
  visitContainers(spec, (c) => {
    const key = SECCOMP_CONTAINER_ANNOTATION_PREFIX + containerName(c);
    const value = annotations[key];
    if (value !== undefined && !validSeccompAnnotation(value)) bad.add(`${key}=${goQuote(value)}`);
  });
  if (bad.size === 0) return ALLOWED;
  const values = [...bad].sort();
  return forbidden('seccompProfile', `forbidden ${pluralize('annotation', 'annotations', values.length)} ${values.join(', ')}`);
}

function seccompBaseline1_19(_m: PodMetadata, spec: PodSpec): PssCheckResult {
  const badSetters: string[] = [];
  const badValues: string[] = [];
  const podProfile = obj(obj(spec['securityContext'])?.['seccompProfile']);
  if (podProfile && !validSeccompType(podProfile['type'])) {
    badSetters.push('pod');
    badValues.push(str(podProfile['type']));
  }
  const badContainers: string[] = [];
  visitContainers(spec, (c) => {
    const profile = obj(securityContext(c)?.['seccompProfile']);
    if (profile && !validSeccompType(profile['type'])) {
      badContainers.push(containerName(c));
      badValues.push(str(profile['type']));
    }
  });
  if (badContainers.length > 0) badSetters.push(containersPhrase(badContainers));
  if (badSetters.length === 0) return ALLOWED;
  return forbidden(
    'seccompProfile',
    `${badSetters.join(' and ')} must not set securityContext.seccompProfile.type to ${joinQuote(sortedSet(badValues))}`,
  );
}

const SYSCTLS_1_0 = ['kernel.shm_rmid_forced', 'net.ipv4.ip_local_port_range', 'net.ipv4.tcp_syncookies', 'net.ipv4.ping_group_range', 'net.ipv4.ip_unprivileged_port_start'];
const SYSCTLS_1_27 = [...SYSCTLS_1_0, 'net.ipv4.ip_local_reserved_ports'];
const SYSCTLS_1_29 = [...SYSCTLS_1_27, 'net.ipv4.tcp_keepalive_time', 'net.ipv4.tcp_fin_timeout', 'net.ipv4.tcp_keepalive_intvl', 'net.ipv4.tcp_keepalive_probes'];
const SYSCTLS_1_32 = [...SYSCTLS_1_29, 'net.ipv4.tcp_rmem', 'net.ipv4.tcp_wmem'];
const SYSCTLS_1_37 = [...SYSCTLS_1_32, 'net.ipv4.tcp_slow_start_after_idle', 'net.ipv4.tcp_notsent_lowat'];

function sysctlsWith(allowed: ReadonlySet<string>) {
  return (_m: PodMetadata, spec: PodSpec): PssCheckResult => {
    const bad = objs(obj(spec['securityContext'])?.['sysctls'])
      .map((s) => str(s['name']))
      .filter((name) => !allowed.has(name));
    if (bad.length === 0) return ALLOWED;
    return forbidden('forbidden sysctls', bad.join(', '));
  };
}

export function windowsHostProcess(_m: PodMetadata, spec: PodSpec): PssCheckResult {
  const bad: string[] = [];
  visitContainers(spec, (c) => {
    if (isTrue(obj(securityContext(c)?.['windowsOptions'])?.['hostProcess'])) bad.push(containerName(c));
  });
  const setters: string[] = [];
  if (isTrue(obj(obj(spec['securityContext'])?.['windowsOptions'])?.['hostProcess'])) setters.push('pod');
  if (bad.length > 0) setters.push(containersPhrase(bad));
  if (setters.length === 0) return ALLOWED;
  return forbidden('hostProcess', `${setters.join(' and ')} must not set securityContext.windowsOptions.hostProcess=true`);
}

function hostsOf(handler: KObject | undefined): string[] {
  if (!handler) return [];
  const hosts: string[] = [];
  const httpHost = str(obj(handler['httpGet'])?.['host']);
  if (httpHost !== '') hosts.push(httpHost);
  const tcpHost = str(obj(handler['tcpSocket'])?.['host']);
  if (tcpHost !== '') hosts.push(tcpHost);
  return hosts;
}

export function hostProbesAndHostLifecycle(_m: PodMetadata, spec: PodSpec): PssCheckResult {
  const badContainers = new Set<string>();
  const hosts = new Set<string>();
  visitContainers(spec, (c) => {
    const lifecycle = obj(c['lifecycle']);
    const handlers = [c['livenessProbe'], c['readinessProbe'], c['startupProbe'], lifecycle?.['postStart'], lifecycle?.['preStop']];
    for (const handler of handlers) {
      const bad = hostsOf(obj(handler));
      if (bad.length > 0) {
        badContainers.add(containerName(c));
        for (const h of bad) hosts.add(h);
      }
    }
  });
  if (badContainers.size === 0) return ALLOWED;
  const names = sortedSet(badContainers);
  const hostList = sortedSet(hosts);
  return forbidden(
    'probe or lifecycle host',
    `${containersPhrase(names)} ${pluralize('uses', 'use', names.length)} ${pluralize('probe or lifecycle host', 'probe or lifecycle hosts', hostList.length)} ${joinQuote(hostList)}`,
  );
}

/** Go's %q for the ASCII strings manifests hold: JSON string quoting matches it there. */
export function goQuote(value: string): string {
  return JSON.stringify(value);
}

export const BASELINE_CHECKS: readonly PssCheck[] = [
  { id: 'appArmorProfile', level: 'baseline', versions: [{ minimumVersion: 0, checkPod: appArmorProfile }] },
  { id: 'capabilities_baseline', level: 'baseline', versions: [{ minimumVersion: 0, checkPod: capabilitiesBaseline }] },
  { id: 'hostNamespaces', level: 'baseline', versions: [{ minimumVersion: 0, checkPod: hostNamespaces }] },
  { id: 'hostPathVolumes', level: 'baseline', versions: [{ minimumVersion: 0, checkPod: hostPathVolumes }] },
  { id: 'hostPorts', level: 'baseline', versions: [{ minimumVersion: 0, checkPod: hostPorts }] },
  { id: 'hostProbesAndHostLifecycle', level: 'baseline', versions: [{ minimumVersion: 34, checkPod: hostProbesAndHostLifecycle }] },
  { id: 'privileged', level: 'baseline', versions: [{ minimumVersion: 0, checkPod: privileged }] },
  {
    id: 'procMount',
    level: 'baseline',
    versions: [
      { minimumVersion: 0, checkPod: procMount1_0 },
      { minimumVersion: 35, checkPod: procMount1_35Baseline },
    ],
  },
  {
    id: 'seLinuxOptions',
    level: 'baseline',
    versions: [
      { minimumVersion: 0, checkPod: seLinuxOptionsWith(new Set(SELINUX_TYPES_1_0)) },
      { minimumVersion: 31, checkPod: seLinuxOptionsWith(new Set(SELINUX_TYPES_1_31)) },
    ],
  },
  {
    id: 'seccompProfile_baseline',
    level: 'baseline',
    versions: [
      { minimumVersion: 0, checkPod: seccompBaseline1_0 },
      { minimumVersion: 19, checkPod: seccompBaseline1_19 },
    ],
  },
  {
    id: 'sysctls',
    level: 'baseline',
    versions: [
      { minimumVersion: 0, checkPod: sysctlsWith(new Set(SYSCTLS_1_0)) },
      { minimumVersion: 27, checkPod: sysctlsWith(new Set(SYSCTLS_1_27)) },
      { minimumVersion: 29, checkPod: sysctlsWith(new Set(SYSCTLS_1_29)) },
      { minimumVersion: 32, checkPod: sysctlsWith(new Set(SYSCTLS_1_32)) },
      { minimumVersion: 37, checkPod: sysctlsWith(new Set(SYSCTLS_1_37)) },
    ],
  },
  { id: 'windowsHostProcess', level: 'baseline', versions: [{ minimumVersion: 0, checkPod: windowsHostProcess }] },
];
