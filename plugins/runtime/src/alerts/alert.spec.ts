import { alertTarget, alertToFinding, buildAlert, parseFalcoAlert } from './alert';
import { engineOf } from '../engine/test-helpers';
import { EventEvaluator } from '../engine/evaluator';
import { toAuditEvent } from '../events/k8s-audit';
import type { K8sAuditEvent } from '../fields/k8saudit';

const RULES = `
- rule: Shell in container
  desc: d
  condition: evt.type = execve and proc.name = bash
  output: "Shell (user=%user.name cmd=%proc.cmdline parent=%proc.aname[1] pod=%k8s.pod.name dir=%fd.directory. uid=%user.uid)"
  priority: NOTICE
  tags: [container, shell]
- rule: K8s user
  desc: d
  condition: ka.verb = create
  output: "user=%ka.user.name stage=%jevt.value[/stage] images=%ka.req.pod.containers.image missing=%jevt.value[/nope] t=%jevt.time"
  priority: warning
  source: k8s_audit
`;

describe('Falco JSON alerts', () => {
  const engine = engineOf([RULES]);
  const evaluator = new EventEvaluator(engine, 'node-1');

  it('formats %fields as Falco does, with <NA> for missing values and the time/priority prefix', () => {
    const event = {
      'evt.type': 'execve',
      'evt.rawtime': '1700000000123456789',
      'proc.name': 'bash',
      'proc.cmdline': 'bash -i',
      'user.name': 'root',
      'user.uid': 0,
      'proc.ancestors': [{ name: 'sshd' }],
      'container.id': 'abc123',
    };
    const alert = evaluator.evaluate({ source: 'syscall', event })[0];
    if (!alert) throw new Error('expected an alert');
    expect(alert).toEqual({
      hostname: 'node-1',
      output: '22:13:20.123456789: Notice Shell (user=root cmd=bash -i parent=sshd pod=<NA> dir=<NA>. uid=0)',
      output_fields: { 'user.name': 'root', 'proc.cmdline': 'bash -i', 'proc.aname[1]': 'sshd', 'k8s.pod.name': null, 'fd.directory': null, 'user.uid': 0 },
      priority: 'Notice',
      rule: 'Shell in container',
      source: 'syscall',
      tags: ['container', 'shell'],
      time: '2023-11-14T22:13:20.123456789Z',
    });
    expect(Object.keys(alert)).toEqual(['hostname', 'output', 'output_fields', 'priority', 'rule', 'source', 'tags', 'time']);
  });

  it('formats k8s audit fields, json pointers and list fields', () => {
    const event = toAuditEvent({
      kind: 'Event',
      apiVersion: 'audit.k8s.io/v1',
      auditID: 'e1',
      stage: 'ResponseComplete',
      verb: 'create',
      user: { username: 'alice' },
      stageTimestamp: '2024-01-02T03:04:05.5Z',
      requestObject: { spec: { containers: [{ image: 'nginx' }, { image: 'redis:7' }] } },
    }) as K8sAuditEvent;
    const alert = evaluator.evaluate({ source: 'k8s_audit', event })[0];
    if (!alert) throw new Error('expected an alert');
    expect(alert.output).toBe('03:04:05.500000000: Warning user=alice stage=ResponseComplete images=(nginx,redis:7) missing=<NA> t=2024-01-02T03:04:05.500000000Z');
    expect(alert.output_fields['jevt.value[/nope]']).toBeNull();
    expect(alert.time).toBe('2024-01-02T03:04:05.500000000Z');
  });

  it('maps alerts to runtime findings with severity, target and a deterministic per-event fingerprint', () => {
    const mk = (id: string, ns: bigint) => evaluator.evaluate({ source: 'syscall', event: { 'evt.type': 'execve', 'proc.name': 'bash', 'container.id': id, 'evt.rawtime': ns.toString() } })[0];
    const a = mk('c1', 1n);
    const finding = alertToFinding(a, { source: 'syscall', event: { 'container.id': 'c1', 'evt.type': 'execve' } });
    expect(finding).toMatchObject({ kind: 'runtime', severity: 'LOW', ruleId: 'Shell in container', title: 'Shell in container', target: 'container:c1', data: a });
    expect(alertToFinding(mk('c1', 1n)).fingerprint).toBe(alertToFinding(mk('c1', 1n)).fingerprint);
    expect(alertToFinding(mk('c1', 2n)).fingerprint).not.toBe(finding.fingerprint);
    expect(alertTarget({ ...a, output_fields: { 'k8s.ns.name': 'shop', 'k8s.pod.name': 'api-1' } })).toBe('pod:shop/api-1');
    expect(alertTarget({ ...a, output_fields: { 'ka.user.name': 'alice' } })).toBe('k8s-user:alice');
    expect(alertTarget({ ...a, output_fields: {} })).toBe('host:node-1');
  });

  it('stores one spelling of a time: a sensor alert with an offset is the same finding as its UTC form', () => {
    const a = evaluator.evaluate({ source: 'syscall', event: { 'evt.type': 'execve', 'proc.name': 'bash', 'container.id': 'c1', 'evt.rawtime': '1' } })[0];
    if (!a) throw new Error('expected an alert');
    const utc = { ...a, time: '2024-05-02T10:20:05.400000000Z' };
    const offset = { ...a, time: '2024-05-02T12:20:05.4+02:00' };
    expect(alertToFinding(offset).data?.['time']).toBe('2024-05-02T10:20:05.400000000Z');
    expect(alertToFinding(offset).fingerprint).toBe(alertToFinding(utc).fingerprint);
    expect(alertToFinding({ ...a, time: 'not a time' }).data?.['time']).toBe('not a time');
  });

  it('builds alerts without hostname when none is configured', () => {
    const rule = engine.rules[0];
    expect(buildAlert(rule, { source: 'syscall', event: { 'evt.type': 'execve' } })).not.toHaveProperty('hostname');
  });
});

describe('alerts from real Falco sensors', () => {
  const sample = {
    hostname: 'worker-2',
    output: '16:31:56.746609046: Error File below a known binary directory opened for writing (user=root command=touch /bin/x file=/bin/x)',
    output_fields: { ...(JSON.parse('{"evt.time": 1700000000746609046}') as object), 'fd.name': '/bin/x', 'proc.cmdline': 'touch /bin/x', 'user.name': 'root', 'container.id': 'host' },
    priority: 'Error',
    rule: 'Write below binary dir',
    source: 'syscall',
    tags: ['filesystem', 'mitre_persistence'],
    time: '2023-11-14T22:13:20.746609046Z',
  };

  it('validates and maps them', () => {
    const r = parseFalcoAlert(sample);
    expect('alert' in r && alertToFinding(r.alert)).toMatchObject({ severity: 'HIGH', ruleId: 'Write below binary dir', target: 'host:worker-2' });
  });

  it('names every problem of an invalid alert', () => {
    const r = parseFalcoAlert({ ...sample, priority: 'Loud', time: 'yesterday', rule: '' });
    expect('problems' in r && r.problems).toEqual([
      expect.stringMatching(/^priority: unknown priority "Loud"/),
      expect.stringMatching(/^rule: /),
      'time: time is not an RFC 3339 timestamp',
    ]);
    expect(parseFalcoAlert('nope')).toEqual({ problems: [expect.stringMatching(/^\(alert\): /)] });
  });
});
