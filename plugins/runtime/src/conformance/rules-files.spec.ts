import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describeWithShared } from '@bulkhead/testing';
import { formatDiagnostic } from '../engine/diagnostics';
import { loadRules } from '../engine/loader';

describeWithShared('the Falco rules files of ../shared/peers/falco', (shared) => {
  const dir = path.join(shared, 'peers', 'falco');
  const file = (f: string) => ({ name: f, content: readFileSync(path.join(dir, f), 'utf8') });

  it.each([
    ['falco_rules.yaml', 25],
    ['falco-incubating_rules.yaml', 31],
    ['falco-sandbox_rules.yaml', 37],
    ['k8saudit/k8s_audit_rules.yaml', 48],
  ])('%s loads and compiles every rule with no error', (name, rules) => {
    const r = loadRules([file(name)]);
    expect(r.errors.map(formatDiagnostic)).toEqual([]);
    expect(r.rules).toHaveLength(rules);
  });

  it('loads all four files together, as a Falco deployment would', () => {
    const r = loadRules(['falco_rules.yaml', 'falco-incubating_rules.yaml', 'falco-sandbox_rules.yaml', 'k8saudit/k8s_audit_rules.yaml'].map(file));
    expect(r.errors.map(formatDiagnostic)).toEqual([]);
    expect(new Set(r.rules.map((x) => x.source))).toEqual(new Set(['syscall', 'k8s_audit']));
    // Every syscall rule of these files constrains evt.type, so the index applies to all of them.
    expect(r.rules.filter((x) => x.source === 'syscall' && x.eventTypes.neg)).toEqual([]);
  });
});

describeWithShared('generated predicates agree with the closure backend on the real rules', (shared) => {
  const dir = path.join(shared, 'peers', 'falco');
  const files = ['falco_rules.yaml', 'falco-incubating_rules.yaml', 'falco-sandbox_rules.yaml', 'k8saudit/k8s_audit_rules.yaml'].map((f) => ({
    name: f,
    content: readFileSync(path.join(dir, f), 'utf8'),
  }));

  it('gives the same matches for every rule on varied syscall and audit events', async () => {
    const codegen = loadRules(files);
    const closures = loadRules(files, { backend: 'closures' });
    const procs = ['bash', 'sh', 'nginx', 'sshd', 'python3', 'curl', 'nc', 'sudo', 'docker', 'kubectl', 'cat', 'find'];
    const paths = ['/etc/shadow', '/etc/passwd', '/usr/bin/x', '/root/.ssh/id_rsa', '/dev/shm/a', '/tmp/x', '/proc/1/mem', '/var/run/docker.sock', '/home/u/.bash_history'];
    const types = ['open', 'openat', 'execve', 'connect', 'unlinkat', 'rename', 'ptrace', 'setuid', 'mkdir', 'accept', 'mmap'];
    const events: unknown[] = [];
    let n = 0;
    for (const type of types)
      for (const proc of procs)
        for (const fd of paths) {
          n++;
          events.push({
            'evt.type': type,
            'proc.name': proc,
            'proc.exepath': `/usr/bin/${proc}`,
            'proc.cmdline': `${proc} -c ${fd}`,
            'proc.pname': procs[n % procs.length],
            'proc.ancestors': [{ name: procs[n % procs.length] }, { name: procs[(n + 3) % procs.length] }],
            'proc.tty': n % 3 === 0 ? 34816 : 0,
            'fd.name': fd,
            'fd.typechar': n % 5 === 0 ? '4' : 'f',
            'fd.num': 3,
            'fd.sip': '10.0.0.1',
            'fd.sport': n % 7 === 0 ? 4444 : 443,
            'evt.arg.flags': n % 2 ? 'O_WRONLY|O_CREAT' : 'O_RDONLY',
            'user.uid': n % 4 === 0 ? 0 : 1000,
            'user.name': n % 4 === 0 ? 'root' : 'app',
            'container.id': n % 6 === 0 ? 'host' : 'c1',
            'container.image.repository': 'shop/api',
            'container.privileged': n % 8 === 0,
          });
        }
    const { readInputFile } = await import('../events/reader');
    const auditDir = path.join(dir, 'k8saudit', 'test_files');
    const audit: unknown[] = [];
    for (const f of (await import('node:fs')).readdirSync(auditDir)) {
      for await (const item of readInputFile(path.join(auditDir, f))) if (item.kind === 'event') audit.push(item.event.event);
    }
    let compared = 0;
    let matched = 0;
    for (let i = 0; i < codegen.rules.length; i++) {
      const a = codegen.rules[i];
      const b = closures.rules[i];
      expect(b.name).toBe(a.name);
      for (const e of a.source === 'syscall' ? events : audit) {
        const x = a.predicate(e);
        if (x !== b.predicate(e)) throw new Error(`rule ${a.name} disagrees on ${JSON.stringify(e).slice(0, 300)}`);
        compared++;
        if (x) matched++;
      }
    }
    expect(compared).toBeGreaterThan(100_000);
    expect(matched).toBeGreaterThan(100);
  });
});
