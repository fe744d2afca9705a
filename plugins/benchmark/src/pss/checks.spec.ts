import { hostPorts, procMount1_0 } from './checks-baseline';
import { evaluatePod, formatPssMessage, parsePssVersion, PSS_MAX_MINOR, pssCheckIds } from './evaluator';

// Reason/detail expectations below are those of upstream's policy/check_*_test.go.
describe('PSS check details match upstream', () => {
  it('hostPorts', () => {
    expect(hostPorts({}, { containers: [{ name: 'a', ports: [{ hostPort: 0 }] }, { name: 'b', ports: [{ hostPort: 0 }, { hostPort: 20 }] }] })).toEqual({
      allowed: false,
      forbiddenReason: 'hostPort',
      forbiddenDetail: 'container "b" uses hostPort 20',
    });
    const spec = {
      containers: [
        { name: 'a', ports: [{ hostPort: 0 }] },
        { name: 'b', ports: [{ hostPort: 0 }, { hostPort: 10 }, { hostPort: 20 }] },
        { name: 'c', ports: [{ hostPort: 0 }, { hostPort: 10 }, { hostPort: 30 }] },
      ],
    };
    expect(hostPorts({}, spec).forbiddenDetail).toBe('containers "b", "c" use hostPorts 10, 20, 30');
  });

  it('procMount', () => {
    const spec = {
      containers: [
        { name: 'a' },
        { name: 'b', securityContext: {} },
        { name: 'c', securityContext: { procMount: 'Default' } },
        { name: 'd', securityContext: { procMount: 'Unmasked' } },
        { name: 'e', securityContext: { procMount: 'other' } },
      ],
    };
    expect(procMount1_0({}, spec)).toEqual({
      allowed: false,
      forbiddenReason: 'procMount',
      forbiddenDetail: 'containers "d", "e" must not set securityContext.procMount to "Unmasked", "other"',
    });
  });
});

describe('PSS versions', () => {
  it('resolves latest to the newest policy version and clamps newer ones', () => {
    expect(PSS_MAX_MINOR).toBe(37);
    expect(parsePssVersion('latest')).toBe(37);
    expect(parsePssVersion('v1.99')).toBe(37);
    expect(() => parsePssVersion('v2.0')).toThrow(/invalid Pod Security Standards version "v2.0"/);
  });

  it('adds and overrides checks at upstream versions', () => {
    expect(pssCheckIds('baseline', 'v1.33')).not.toContain('hostProbesAndHostLifecycle');
    expect(pssCheckIds('baseline', 'v1.34')).toContain('hostProbesAndHostLifecycle');
    expect(pssCheckIds('restricted', 'v1.21')).toEqual(expect.arrayContaining(['capabilities_baseline', 'seccompProfile_restricted']));
    expect(pssCheckIds('restricted', 'v1.22')).not.toContain('capabilities_baseline');
    expect(pssCheckIds('restricted', 'v1.34')).toContain('procMount');
    expect(pssCheckIds('restricted', 'v1.35')).toEqual(expect.arrayContaining(['procMount_restricted']));
    expect(pssCheckIds('restricted', 'v1.35')).not.toContain('procMount');
    expect(pssCheckIds('restricted', 'latest')).not.toContain('hostPathVolumes');
  });

  it('grows the safe sysctl list by version', () => {
    const pod = (name: string) => ({ securityContext: { sysctls: [{ name, value: '1' }] }, containers: [{ name: 'c' }] });
    expect(evaluatePod({}, pod('net.ipv4.ip_local_reserved_ports'), 'baseline', 'v1.26').allowed).toBe(false);
    expect(evaluatePod({}, pod('net.ipv4.ip_local_reserved_ports'), 'baseline', 'v1.27').allowed).toBe(true);
    expect(evaluatePod({}, pod('net.ipv4.tcp_rmem'), 'baseline', 'v1.31').allowed).toBe(false);
    expect(evaluatePod({}, pod('net.ipv4.tcp_rmem'), 'baseline', 'v1.32').allowed).toBe(true);
    expect(evaluatePod({}, pod('kernel.msgmax'), 'baseline', 'latest').violations).toEqual([
      { check: 'sysctls', reason: 'forbidden sysctls', detail: 'kernel.msgmax' },
    ]);
  });

  it('exempts Windows pods from Linux-only restricted checks from v1.25', () => {
    const spec = { os: { name: 'windows' }, securityContext: { runAsNonRoot: true }, containers: [{ name: 'c' }] };
    expect(evaluatePod({}, spec, 'restricted', 'v1.24').violations.map((v) => v.check)).toEqual([
      'allowPrivilegeEscalation',
      'capabilities_restricted',
      'seccompProfile_restricted',
    ]);
    expect(evaluatePod({}, spec, 'restricted', 'v1.25').allowed).toBe(true);
  });

  it('relaxes runAsNonRoot/runAsUser for user-namespace pods from v1.35 only', () => {
    const spec = {
      hostUsers: false,
      securityContext: { seccompProfile: { type: 'RuntimeDefault' }, runAsUser: 0 },
      containers: [{ name: 'c', securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } } }],
    };
    expect(evaluatePod({}, spec, 'restricted', 'v1.34').violations.map((v) => v.check)).toEqual(['runAsNonRoot', 'runAsUser']);
    expect(evaluatePod({}, spec, 'restricted', 'v1.35').allowed).toBe(true);
  });

  it('formats the admission message as upstream does', () => {
    const evaluation = evaluatePod({}, { hostPID: true, containers: [{ name: 'c', securityContext: { privileged: true } }] }, 'baseline', 'v1.30');
    expect(formatPssMessage(evaluation)).toBe(
      'violates PodSecurity "baseline:v1.30": host namespaces (hostPID=true), privileged (container "c" must not set securityContext.privileged=true)',
    );
  });
});
