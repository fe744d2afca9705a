import { BadInputError, type Severity } from '@bulkhead/plugin-sdk';
import { benchmarkReport, type BenchmarkCheckResult, type BenchmarkReport, type BenchmarkStatus } from '../report';

/**
 * A container's runtime settings, normalised from `docker inspect` output or an OCI runtime
 * `config.json`, so that one set of CIS Docker Benchmark section 5 checks serves both.
 * `undefined` means the source does not say (the check is then not applicable).
 */
export interface ContainerSettings {
  /** Container name or id; the results' target. */
  name: string;
  source: 'docker-inspect' | 'oci-runtime';
  privileged: boolean;
  /** Capabilities added over Docker's default set, upper-case without `CAP_`. */
  addedCapabilities: string[];
  hostNetwork: boolean;
  hostPid: boolean;
  hostIpc: boolean;
  hostUts: boolean;
  hostUserns: boolean;
  mounts: { source: string; destination: string; readOnly: boolean; propagation?: string }[];
  readOnlyRootfs: boolean;
  memoryLimited: boolean;
  cpuLimited: boolean;
  pidsLimited: boolean;
  seccompUnconfined: boolean;
  /** `unconfined` explicitly, or no profile at all (`''`). */
  apparmor: 'confined' | 'unconfined' | 'none';
  noNewPrivileges: boolean;
  devices: string[];
  ports?: { hostIp: string; hostPort: number }[];
  restartPolicy?: { name: string; maxRetries: number };
  healthcheck?: boolean;
}

/** Docker's default capability set (moby oci/caps/defaults.go). */
export const DOCKER_DEFAULT_CAPABILITIES = [
  'CHOWN',
  'DAC_OVERRIDE',
  'FSETID',
  'FOWNER',
  'MKNOD',
  'NET_RAW',
  'SETGID',
  'SETUID',
  'SETFCAP',
  'SETPCAP',
  'NET_BIND_SERVICE',
  'SYS_CHROOT',
  'KILL',
  'AUDIT_WRITE',
];

/** Host paths CIS 5.5 names as sensitive, plus the container runtime sockets (5.31). */
const SENSITIVE_HOST_PATHS = ['/', '/boot', '/dev', '/etc', '/lib', '/proc', '/sys', '/usr'];
const RUNTIME_SOCKETS = ['/var/run/docker.sock', '/run/docker.sock', '/run/containerd/containerd.sock', '/var/run/crio/crio.sock', '/run/podman/podman.sock'];

type Json = Record<string, unknown>;

/** Reads `docker inspect` output: one object or the array `docker inspect` prints. */
export function parseContainerConfig(text: string, source: string): ContainerSettings[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new BadInputError(`${source}: not JSON: ${(error as Error).message}`);
  }
  const items = Array.isArray(parsed) ? parsed : [parsed];
  if (items.length === 0) throw new BadInputError(`${source}: no containers in the file`);
  return items.map((item, i) => {
    if (!isObject(item)) throw new BadInputError(`${source}: item ${i} is not an object`);
    if (isObject(item['HostConfig'])) return fromDockerInspect(item);
    if (typeof item['ociVersion'] === 'string') return fromOciRuntimeConfig(item, source);
    throw new BadInputError(`${source}: item ${i} is neither docker inspect output (no HostConfig) nor an OCI runtime config (no ociVersion)`);
  });
}

export function fromDockerInspect(c: Json): ContainerSettings {
  const host = c['HostConfig'] as Json;
  const securityOpt = strings(host['SecurityOpt']);
  const opt = (name: string): string | undefined => {
    const found = securityOpt.find((o) => o.startsWith(`${name}=`) || o.startsWith(`${name}:`) || o === name);
    return found === undefined ? undefined : found === name ? '' : found.slice(name.length + 1);
  };
  const mounts = Array.isArray(c['Mounts'])
    ? (c['Mounts'] as Json[]).map((m) => ({
        source: String(m['Source'] ?? ''),
        destination: String(m['Destination'] ?? ''),
        readOnly: m['RW'] === false,
        ...(m['Propagation'] ? { propagation: String(m['Propagation']) } : {}),
      }))
    : strings(host['Binds']).map(parseBind);
  const ports: { hostIp: string; hostPort: number }[] = [];
  if (isObject(host['PortBindings'])) {
    for (const bindings of Object.values(host['PortBindings'])) {
      for (const b of Array.isArray(bindings) ? (bindings as Json[]) : []) ports.push({ hostIp: String(b['HostIp'] ?? ''), hostPort: Number(b['HostPort'] ?? 0) });
    }
  }
  const restart = isObject(host['RestartPolicy']) ? host['RestartPolicy'] : undefined;
  const apparmorProfile = opt('apparmor') ?? (typeof c['AppArmorProfile'] === 'string' ? c['AppArmorProfile'] : '');
  const config = isObject(c['Config']) ? c['Config'] : {};
  return {
    name: String(c['Name'] ?? c['Id'] ?? 'container').replace(/^\//, ''),
    source: 'docker-inspect',
    privileged: host['Privileged'] === true,
    addedCapabilities: strings(host['CapAdd']).map(normaliseCap).filter((cap) => !DOCKER_DEFAULT_CAPABILITIES.includes(cap)),
    hostNetwork: host['NetworkMode'] === 'host',
    hostPid: host['PidMode'] === 'host',
    hostIpc: host['IpcMode'] === 'host',
    hostUts: host['UTSMode'] === 'host',
    hostUserns: host['UsernsMode'] === 'host',
    mounts,
    readOnlyRootfs: host['ReadonlyRootfs'] === true,
    memoryLimited: Number(host['Memory'] ?? 0) > 0,
    cpuLimited: Number(host['NanoCpus'] ?? 0) > 0 || Number(host['CpuQuota'] ?? 0) > 0 || ![0, 1024].includes(Number(host['CpuShares'] ?? 0)),
    pidsLimited: Number(host['PidsLimit'] ?? 0) > 0,
    seccompUnconfined: opt('seccomp') === 'unconfined' || host['Privileged'] === true,
    apparmor: apparmorProfile === 'unconfined' ? 'unconfined' : apparmorProfile === '' ? 'none' : 'confined',
    noNewPrivileges: opt('no-new-privileges') !== undefined && opt('no-new-privileges') !== 'false',
    devices: Array.isArray(host['Devices']) ? (host['Devices'] as Json[]).map((d) => String(d['PathOnHost'] ?? '')) : [],
    ports,
    ...(restart ? { restartPolicy: { name: String(restart['Name'] ?? ''), maxRetries: Number(restart['MaximumRetryCount'] ?? 0) } } : {}),
    healthcheck: isObject(config['Healthcheck']) && !(strings((config['Healthcheck'] as Json)['Test'])[0] === 'NONE'),
  };
}

/**
 * An OCI runtime spec config.json (runc, containerd, CRI-O bundles). A namespace missing from
 * `linux.namespaces` is shared with the host. "Privileged" has no field here: it is inferred as
 * CAP_SYS_ADMIN in the bounding set plus access to every device.
 */
export function fromOciRuntimeConfig(c: Json, source = 'config.json'): ContainerSettings {
  const linux = isObject(c['linux']) ? c['linux'] : {};
  const proc = isObject(c['process']) ? c['process'] : {};
  const namespaces = Array.isArray(linux['namespaces']) ? (linux['namespaces'] as Json[]) : [];
  const own = (type: string): boolean => namespaces.some((n) => n['type'] === type && !String(n['path'] ?? '').startsWith('/proc/1/'));
  const caps = isObject(proc['capabilities']) ? strings((proc['capabilities'] as Json)['bounding']).map(normaliseCap) : [];
  const resources = isObject(linux['resources']) ? linux['resources'] : {};
  const devicesAllowAll = Array.isArray(resources['devices'])
    ? (resources['devices'] as Json[]).some((d) => d['allow'] === true && (d['type'] === undefined || d['type'] === 'a') && d['major'] === undefined && d['minor'] === undefined)
    : false;
  const memory = isObject(resources['memory']) ? resources['memory'] : {};
  const cpu = isObject(resources['cpu']) ? resources['cpu'] : {};
  const pids = isObject(resources['pids']) ? resources['pids'] : {};
  const mounts = (Array.isArray(c['mounts']) ? (c['mounts'] as Json[]) : [])
    .filter((m) => m['type'] === 'bind' || strings(m['options']).some((o) => o === 'bind' || o === 'rbind'))
    .map((m) => {
      const options = strings(m['options']);
      const propagation = options.find((o) => /^r?(shared|slave|private)$/.test(o));
      return { source: String(m['source'] ?? ''), destination: String(m['destination'] ?? ''), readOnly: options.includes('ro'), ...(propagation ? { propagation } : {}) };
    });
  const root = isObject(c['root']) ? c['root'] : {};
  const apparmor = typeof proc['apparmorProfile'] === 'string' ? proc['apparmorProfile'] : '';
  return {
    name: typeof c['hostname'] === 'string' && c['hostname'] ? c['hostname'] : source,
    source: 'oci-runtime',
    privileged: caps.includes('SYS_ADMIN') && devicesAllowAll,
    addedCapabilities: caps.filter((cap) => !DOCKER_DEFAULT_CAPABILITIES.includes(cap)),
    hostNetwork: !own('network'),
    hostPid: !own('pid'),
    hostIpc: !own('ipc'),
    hostUts: !own('uts'),
    hostUserns: !own('user'),
    mounts,
    readOnlyRootfs: root['readonly'] === true,
    memoryLimited: Number(memory['limit'] ?? 0) > 0,
    cpuLimited: Number(cpu['quota'] ?? 0) > 0 || ![0, 1024].includes(Number(cpu['shares'] ?? 0)),
    pidsLimited: Number(pids['limit'] ?? 0) > 0,
    seccompUnconfined: !isObject(linux['seccomp']),
    apparmor: apparmor === 'unconfined' ? 'unconfined' : apparmor === '' ? 'none' : 'confined',
    noNewPrivileges: proc['noNewPrivileges'] === true,
    devices: (Array.isArray(linux['devices']) ? (linux['devices'] as Json[]) : []).map((d) => String(d['path'] ?? '')),
  };
}

interface Rule {
  id: string;
  title: string;
  severity: Severity;
  /** undefined: not applicable for this source; otherwise the problems found (empty = PASS). */
  check(c: ContainerSettings): string[] | undefined;
  /** WARN instead of FAIL: CIS marks these for review rather than as wrong. */
  review?: boolean;
}

const isHostPath = (p: string, base: string): boolean => (base === '/' ? p === '/' : p === base || p.startsWith(`${base}/`));

/** CIS Docker Benchmark v1.6.0 section 5 (container runtime) checks that a config can answer. */
export const CONTAINER_RULES: readonly Rule[] = [
  { id: '5.1', title: 'Ensure that, if applicable, an AppArmor Profile is enabled', severity: 'MEDIUM', check: (c) => (c.apparmor === 'unconfined' ? ['AppArmor profile is unconfined'] : []) },
  {
    id: '5.3',
    title: 'Ensure that Linux kernel capabilities are restricted within containers',
    severity: 'HIGH',
    check: (c) => (c.addedCapabilities.length > 0 ? [`capabilities added beyond Docker's defaults: ${c.addedCapabilities.join(', ')}`] : []),
  },
  { id: '5.4', title: 'Ensure that privileged containers are not used', severity: 'CRITICAL', check: (c) => (c.privileged ? ['the container is privileged'] : []) },
  {
    id: '5.5',
    title: 'Ensure sensitive host system directories are not mounted on containers',
    severity: 'HIGH',
    check: (c) =>
      c.mounts
        .filter((m) => SENSITIVE_HOST_PATHS.some((p) => (p === '/' ? m.source === '/' : isHostPath(m.source, p))))
        .map((m) => `host path ${m.source} is mounted at ${m.destination}${m.readOnly ? ' (read-only)' : ' read-write'}`),
  },
  {
    id: '5.7',
    title: 'Ensure privileged ports are not mapped within containers',
    severity: 'LOW',
    check: (c) => c.ports?.filter((p) => p.hostPort > 0 && p.hostPort < 1024).map((p) => `host port ${p.hostPort} is mapped`),
  },
  { id: '5.9', title: "Ensure that the host's network namespace is not shared", severity: 'HIGH', check: (c) => (c.hostNetwork ? ['the host network namespace is shared'] : []) },
  { id: '5.10', title: 'Ensure that the memory usage for containers is limited', severity: 'MEDIUM', check: (c) => (c.memoryLimited ? [] : ['no memory limit']) },
  { id: '5.11', title: 'Ensure that CPU priority is set appropriately on containers', severity: 'LOW', check: (c) => (c.cpuLimited ? [] : ['no CPU shares or quota set']) },
  { id: '5.12', title: "Ensure that the container's root filesystem is mounted as read only", severity: 'MEDIUM', check: (c) => (c.readOnlyRootfs ? [] : ['the root file system is writable']) },
  {
    id: '5.13',
    title: 'Ensure that incoming container traffic is bound to a specific host interface',
    severity: 'LOW',
    review: true,
    check: (c) => c.ports?.filter((p) => p.hostIp === '' || p.hostIp === '0.0.0.0' || p.hostIp === '::').map((p) => `port ${p.hostPort} is bound on all host interfaces`),
  },
  {
    id: '5.14',
    title: "Ensure that the 'on-failure' container restart policy is set to '5'",
    severity: 'LOW',
    check: (c) =>
      c.restartPolicy === undefined
        ? undefined
        : c.restartPolicy.name === 'always' || c.restartPolicy.name === 'unless-stopped' || (c.restartPolicy.name === 'on-failure' && c.restartPolicy.maxRetries > 5)
          ? [`restart policy ${c.restartPolicy.name}${c.restartPolicy.name === 'on-failure' ? `:${c.restartPolicy.maxRetries}` : ''}`]
          : [],
  },
  { id: '5.15', title: "Ensure that the host's process namespace is not shared", severity: 'HIGH', check: (c) => (c.hostPid ? ['the host PID namespace is shared'] : []) },
  { id: '5.16', title: "Ensure that the host's IPC namespace is not shared", severity: 'HIGH', check: (c) => (c.hostIpc ? ['the host IPC namespace is shared'] : []) },
  { id: '5.17', title: 'Ensure that host devices are not directly exposed to containers', severity: 'MEDIUM', review: true, check: (c) => c.devices.map((d) => `host device ${d} is exposed`) },
  {
    id: '5.19',
    title: 'Ensure mount propagation mode is not set to shared',
    severity: 'MEDIUM',
    check: (c) => c.mounts.filter((m) => m.propagation === 'shared' || m.propagation === 'rshared').map((m) => `${m.destination} has ${m.propagation} propagation`),
  },
  { id: '5.20', title: "Ensure that the host's UTS namespace is not shared", severity: 'MEDIUM', check: (c) => (c.hostUts ? ['the host UTS namespace is shared'] : []) },
  { id: '5.21', title: 'Ensure the default seccomp profile is not Disabled', severity: 'HIGH', check: (c) => (c.seccompUnconfined ? ['seccomp is unconfined'] : []) },
  {
    id: '5.25',
    title: 'Ensure that the container is restricted from acquiring additional privileges',
    severity: 'MEDIUM',
    check: (c) => (c.noNewPrivileges ? [] : ['no-new-privileges is not set']),
  },
  { id: '5.26', title: 'Ensure that container health is checked at runtime', severity: 'LOW', check: (c) => (c.healthcheck === undefined ? undefined : c.healthcheck ? [] : ['no health check']) },
  { id: '5.28', title: "Ensure that the PIDs cgroup limit is used", severity: 'MEDIUM', check: (c) => (c.pidsLimited ? [] : ['no PIDs limit']) },
  { id: '5.30', title: "Ensure that the host's user namespaces are not shared", severity: 'MEDIUM', check: (c) => (c.source === 'docker-inspect' && c.hostUserns ? ['the host user namespace is shared'] : []) },
  {
    id: '5.31',
    title: 'Ensure that the Docker socket is not mounted inside any containers',
    severity: 'CRITICAL',
    check: (c) => c.mounts.filter((m) => RUNTIME_SOCKETS.includes(m.source)).map((m) => `container runtime socket ${m.source} is mounted at ${m.destination}`),
  },
];

/** Runs the section 5 checks over each container; one result per (container, check). */
export function checkContainers(containers: readonly ContainerSettings[], title = 'CIS Docker Benchmark v1.6.0 section 5 (container runtime)'): BenchmarkReport {
  const results: BenchmarkCheckResult[] = [];
  for (const c of containers) {
    for (const rule of CONTAINER_RULES) {
      const problems = rule.check(c);
      const base = { checkId: rule.id, title: rule.title, target: c.name, benchmark: 'cis-docker-1.6.0' };
      if (problems === undefined) {
        results.push({ ...base, status: 'SKIP', severity: 'INFO', message: `not applicable to ${c.source} input` });
      } else if (problems.length === 0) {
        results.push({ ...base, status: 'PASS', severity: 'INFO', message: 'no problem found' });
      } else {
        const status: BenchmarkStatus = rule.review ? 'WARN' : 'FAIL';
        results.push({ ...base, status, severity: rule.severity, message: problems.join('; '), data: { problems, source: c.source } });
      }
    }
  }
  return benchmarkReport(title, results);
}

function parseBind(bind: string): { source: string; destination: string; readOnly: boolean; propagation?: string } {
  const [source = '', destination = '', options = ''] = bind.split(':');
  const opts = options.split(',');
  const propagation = opts.find((o) => /^r?(shared|slave|private)$/.test(o));
  return { source, destination, readOnly: opts.includes('ro'), ...(propagation ? { propagation } : {}) };
}

function normaliseCap(cap: string): string {
  return cap.toUpperCase().replace(/^CAP_/, '');
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
