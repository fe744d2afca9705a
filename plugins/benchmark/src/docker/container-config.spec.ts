import { checkContainers, parseContainerConfig } from './container-config';

const hardened = {
  Id: 'abc',
  Name: '/web',
  AppArmorProfile: 'docker-default',
  Config: { Healthcheck: { Test: ['CMD', '/health'] } },
  Mounts: [{ Type: 'volume', Source: '/var/lib/docker/volumes/data/_data', Destination: '/data', RW: true, Propagation: '' }],
  HostConfig: {
    Privileged: false,
    CapAdd: null,
    CapDrop: ['ALL'],
    NetworkMode: 'bridge',
    PidMode: '',
    IpcMode: 'private',
    UTSMode: '',
    UsernsMode: '',
    ReadonlyRootfs: true,
    Memory: 268435456,
    NanoCpus: 500000000,
    CpuShares: 0,
    PidsLimit: 100,
    SecurityOpt: ['no-new-privileges:true'],
    Devices: [],
    PortBindings: { '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: '8080' }] },
    RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 5 },
  },
};

const risky = {
  Id: 'def',
  Name: '/agent',
  AppArmorProfile: 'unconfined',
  Config: {},
  Mounts: [
    { Type: 'bind', Source: '/var/run/docker.sock', Destination: '/var/run/docker.sock', RW: true, Propagation: 'rprivate' },
    { Type: 'bind', Source: '/etc', Destination: '/host/etc', RW: false, Propagation: 'rshared' },
  ],
  HostConfig: {
    Privileged: true,
    CapAdd: ['SYS_ADMIN', 'CAP_NET_ADMIN', 'CHOWN'],
    NetworkMode: 'host',
    PidMode: 'host',
    IpcMode: 'host',
    UTSMode: 'host',
    UsernsMode: 'host',
    ReadonlyRootfs: false,
    Memory: 0,
    CpuShares: 0,
    PidsLimit: null,
    SecurityOpt: ['seccomp=unconfined', 'apparmor=unconfined'],
    Devices: [{ PathOnHost: '/dev/kmsg', PathInContainer: '/dev/kmsg', CgroupPermissions: 'rwm' }],
    PortBindings: { '80/tcp': [{ HostIp: '', HostPort: '80' }] },
    RestartPolicy: { Name: 'always', MaximumRetryCount: 0 },
  },
};

const statuses = (report: ReturnType<typeof checkContainers>, target: string): Record<string, string> =>
  Object.fromEntries(report.results.filter((r) => r.target === target).map((r) => [r.checkId, r.status]));

describe('container runtime checks (CIS Docker 5.x)', () => {
  it('passes a hardened container from docker inspect output', () => {
    const report = checkContainers(parseContainerConfig(JSON.stringify([hardened]), 'inspect.json'));
    expect(Object.values(statuses(report, 'web')).every((s) => s === 'PASS')).toBe(true);
  });

  it('fails a privileged, host-namespaced container with the socket mounted', () => {
    const report = checkContainers(parseContainerConfig(JSON.stringify([risky]), 'inspect.json'));
    expect(statuses(report, 'agent')).toEqual({
      '5.1': 'FAIL',
      '5.3': 'FAIL',
      '5.4': 'FAIL',
      '5.5': 'FAIL',
      '5.7': 'FAIL',
      '5.9': 'FAIL',
      '5.10': 'FAIL',
      '5.11': 'FAIL',
      '5.12': 'FAIL',
      '5.13': 'WARN',
      '5.14': 'FAIL',
      '5.15': 'FAIL',
      '5.16': 'FAIL',
      '5.17': 'WARN',
      '5.19': 'FAIL',
      '5.20': 'FAIL',
      '5.21': 'FAIL',
      '5.25': 'FAIL',
      '5.26': 'FAIL',
      '5.28': 'FAIL',
      '5.30': 'FAIL',
      '5.31': 'FAIL',
    });
    const caps = report.results.find((r) => r.checkId === '5.3');
    expect(caps?.message).toBe("capabilities added beyond Docker's defaults: SYS_ADMIN, NET_ADMIN");
    expect(report.results.find((r) => r.checkId === '5.4')?.severity).toBe('CRITICAL');
  });

  it('reads an OCI runtime config.json: missing namespaces are the host ones', () => {
    const oci = {
      ociVersion: '1.1.0',
      hostname: 'bundle',
      process: { user: { uid: 0, gid: 0 }, capabilities: { bounding: ['CAP_CHOWN', 'CAP_SYS_ADMIN'] }, noNewPrivileges: true, apparmorProfile: 'docker-default' },
      root: { path: 'rootfs', readonly: true },
      mounts: [{ destination: '/host', type: 'bind', source: '/', options: ['rbind', 'ro'] }],
      linux: {
        namespaces: [{ type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }],
        resources: { memory: { limit: 1000000 }, cpu: { quota: 50000 }, pids: { limit: 64 }, devices: [{ allow: false, access: 'rwm' }] },
        seccomp: { defaultAction: 'SCMP_ACT_ERRNO' },
      },
    };
    const report = checkContainers(parseContainerConfig(JSON.stringify(oci), 'config.json'));
    const s = statuses(report, 'bundle');
    expect(s).toMatchObject({ '5.3': 'FAIL', '5.4': 'PASS', '5.5': 'FAIL', '5.9': 'FAIL', '5.15': 'PASS', '5.21': 'PASS', '5.25': 'PASS', '5.12': 'PASS' });
    expect(s['5.7']).toBe('SKIP'); // ports are not part of a runtime config
  });

  it('names a file that is neither format', () => {
    expect(() => parseContainerConfig('{"x":1}', 'x.json')).toThrow('x.json: item 0 is neither docker inspect output (no HostConfig) nor an OCI runtime config (no ociVersion)');
    expect(() => parseContainerConfig('nope', 'x.json')).toThrow(/^x.json: not JSON/);
  });
});
