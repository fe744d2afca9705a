import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { testImages } from '@bulkhead/testing';
import { runCli } from './main';

/**
 * Commands that plugins' cli entries and `bulkhead run` add, run in-process as a user types them:
 * list options that never swallow operands, and any task run inline.
 */
async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(['node', 'bulkhead', ...args], { out: (t) => (out += t), err: (t) => (err += t) });
  return { code, out, err };
}

describe('bulkhead runtime replay list options (Falco-style repeated -r)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'bulkhead-cli-lists-'));
  const rule = (name: string, proc: string) => `- rule: ${name}\n  desc: d\n  condition: evt.type = execve and proc.name = ${proc}\n  output: "${name} %proc.name"\n  priority: WARNING\n`;
  const a = path.join(dir, 'a.yaml');
  const b = path.join(dir, 'b.yaml');
  const events = path.join(dir, 'events.jsonl');
  writeFileSync(a, rule('ShellA', 'bash'));
  writeFileSync(b, rule('CurlB', 'curl'));
  const exec = (proc: string, time: number) => JSON.stringify({ 'evt.type': 'execve', 'evt.dir': '<', 'evt.rawres': 0, 'evt.rawtime': time, 'proc.name': proc, 'container.id': 'c0ffee' });
  writeFileSync(events, [exec('bash', 1), exec('curl', 2), exec('ls', 3)].join('\n'));

  /** Alerts come through the host's standard output, one JSON object a line. */
  async function replayRules(...args: string[]): Promise<{ code: number; rules: string[]; err: string }> {
    const { code, err, out } = await cli('runtime', 'replay', ...args);
    return { code, err, rules: out.trim() === '' ? [] : out.trim().split('\n').map((line) => (JSON.parse(line) as { rule: string }).rule) };
  }

  it('takes `-r a.yaml -r b.yaml events.jsonl` as two rules files and one events file', async () => {
    expect(await replayRules('-r', a, '-r', b, events)).toMatchObject({ code: 0, rules: ['ShellA', 'CurlB'] });
    expect(await replayRules(events, '-r', a)).toMatchObject({ code: 0, rules: ['ShellA'] });
  });

  it('keeps the documented `--rules a.yaml b.yaml -- events` form', async () => {
    expect(await replayRules('--rules', a, b, '--', events)).toMatchObject({ code: 0, rules: ['ShellA', 'CurlB'] });
    expect(await replayRules('--rules', a, '--match', 'all', '--', events)).toMatchObject({ code: 0, rules: ['ShellA'] });
  });

  it('repeats --image without swallowing the events file', async () => {
    const images = testImages();
    const { code, err } = await replayRules('-r', a, '--image', `oci:${images.tinyOciLayout}`, '--image', `docker-archive:${images.tinyDockerArchive}`, events);
    expect(code).toBe(0);
    // Swallowed, the events file would be scanned as a third image (exit 1), or missing (exit 2).
    expect(err.match(/replay: --image \S+ is sha256:/g)).toHaveLength(2);
  }, 60_000);
});

describe('bulkhead run', () => {
  const images = testImages();

  it('runs any plugin task inline and prints its output and results as JSON', async () => {
    const { code, out } = await cli('run', 'scan-image', '--input', JSON.stringify({ source: `oci:${images.tinyOciLayout}` }));
    expect(code).toBe(0);
    const printed = JSON.parse(out) as { kind: string; type: string; output: { digest: string }; artifacts: { digest: string }[]; packages: { artifactDigest: string; packages: unknown[] }[]; findings: unknown[] };
    expect(printed).toMatchObject({ kind: 'scanner', type: 'scan-image', findings: [] });
    expect(printed.artifacts.map((a) => a.digest)).toEqual([printed.output.digest]);
    expect(printed.packages[0]?.artifactDigest).toBe(printed.output.digest);
    expect(printed.packages[0]?.packages.length).toBeGreaterThan(0);
  });

  it('reads @file input and names the bad field with exit code 1', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'bulkhead-cli-run-'));
    const input = path.join(dir, 'input.json');
    writeFileSync(input, JSON.stringify({ source: 42 }));
    const bad = await cli('run', 'scan-image', '--input', `@${input}`, '--kind', 'scanner');
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/^bulkhead: invalid input for task scan-image: source: /m);
    expect(bad.err).not.toContain('    at ');
  });

  it('treats a wrong command line as a usage error (exit 2)', async () => {
    const notJson = await cli('run', 'scan-image', '--input', '{source:');
    expect(notJson).toMatchObject({ code: 2, err: expect.stringContaining('--input is not JSON') });
    const unknown = await cli('run', 'no-such-task', '--input', '{}');
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(/no plugin handles task type "no-such-task" \(registered: .*scanner\/scan-image/);
    expect((await cli('run', 'scan-image', '--input', '{}', '--kind', 'nope')).err).toContain('unknown --kind "nope"');
    expect((await cli('run', 'scan-image')).code).toBe(2);
    expect((await cli('run', 'scan-image', '--input', '@/nonexistent/input.json')).err).toContain('cannot read --input file /nonexistent/input.json');
  });
});

describe('bulkhead bench --ignore (check ids or their Trivy/AVD/kube-score/Polaris equivalents)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'bulkhead-cli-ignore-'));
  const manifest = path.join(dir, 'pod.yaml');
  const other = path.join(dir, 'role.yaml');
  const dockerfile = path.join(dir, 'Dockerfile');
  const inspect = path.join(dir, 'inspect.json');
  // Fails only readonly-root-filesystem (KSV014) among the workload checks that --ignore is tried with.
  writeFileSync(
    manifest,
    'apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: team}\nspec:\n  containers:\n  - name: web\n    image: nginx@sha256:' + 'a'.repeat(64) + '\n',
  );
  writeFileSync(other, 'apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: deployer, namespace: team}\nrules:\n- {apiGroups: [apps], resources: [deployments], verbs: [create]}\n');
  // DL3020 and DL3000 fail (ADD of a local file; a relative WORKDIR): one is left after --ignore DL3020.
  writeFileSync(dockerfile, 'FROM alpine:latest\nWORKDIR app\nADD app /app\nCMD run\n');
  writeFileSync(inspect, JSON.stringify([{ Name: '/web', HostConfig: { Privileged: true }, Mounts: [], Config: {} }]));

  const ids = (out: string): string[] => (JSON.parse(out) as { results: { checkId: string; status: string }[] }).results.filter((r) => r.status === 'FAIL').map((r) => r.checkId);

  it('leaves out results named by Trivy id, AVD id or own id (case-insensitive), and says how many on stderr', async () => {
    const all = await cli('bench', 'k8s', '--checks', 'workload,rbac', '-f', 'json', manifest, other);
    expect(all.code).toBe(0);
    expect(ids(all.out)).toEqual(expect.arrayContaining(['readonly-root-filesystem', 'workloads-write']));
    expect(all.err).not.toMatch(/ignored/);

    // Repeated and comma-separated; the files after --ignore stay operands.
    const some = await cli('bench', 'k8s', '--checks', 'workload,rbac', '-f', 'json', '--ignore', 'ksv014', '--ignore', 'AVD-KSV-0048,cpu-limits', manifest, other);
    expect(some.code).toBe(0);
    const left = ids(some.out);
    expect(left).not.toContain('readonly-root-filesystem');
    expect(left).not.toContain('workloads-write');
    expect(left).not.toContain('cpu-limits');
    expect(JSON.parse(some.out).results.some((r: { checkId: string }) => r.checkId === 'workloads-write' || r.checkId === 'readonly-root-filesystem')).toBe(false);
    expect(some.err).toMatch(/ignored [1-9]\d* results? \(--ignore\)/);
  });

  it('takes ignored results out of the --exit-code decision', async () => {
    const failing = await cli('bench', 'k8s', '--checks', 'rbac', '--exit-code', '3', other);
    expect(failing.code).toBe(3);
    const accepted = await cli('bench', 'k8s', '--checks', 'rbac', '--exit-code', '3', '--ignore', 'KSV048', other);
    expect(accepted.code).toBe(0);
    expect(accepted.err).toContain('ignored 1 result (--ignore)');
  });

  it('works on dockerfile and container too', async () => {
    const docker = await cli('bench', 'dockerfile', '--exit-code', '4', '--ignore', 'DL3020', '-f', 'json', dockerfile);
    expect(ids(docker.out)).not.toContain('DL3020');
    expect(ids(docker.out).length).toBeGreaterThan(0);
    expect(docker.code).toBe(4);
    const plain = await cli('bench', 'container', '-f', 'json', inspect);
    const failed = ids(plain.out);
    expect(failed.length).toBeGreaterThan(0);
    const none = await cli('bench', 'container', '--exit-code', '5', '--ignore', failed.join(','), '-f', 'json', inspect);
    expect(ids(none.out)).toEqual([]);
    expect(none.code).toBe(0);
    expect(none.err).toMatch(/ignored \d+ results? \(--ignore\)/);
  });

  it('refuses an id no check answers to, and empty entries, naming them (exit 2)', async () => {
    const unknown = await cli('bench', 'k8s', '--ignore', 'KSV014,KSV9999', manifest);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(/--ignore "KSV9999": no Bulkhead check has this id/);
    const empty = await cli('bench', 'dockerfile', '--ignore', 'DL3020,,', dockerfile);
    expect(empty.code).toBe(2);
    expect(empty.err).toMatch(/--ignore .*empty entries/);
    const node = await cli('bench', 'container', '--ignore', 'not-a-check', inspect);
    expect(node.code).toBe(2);
    expect(node.err).toContain('not-a-check');
  });
});
