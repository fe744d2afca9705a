import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { describeWithShared } from '@bulkhead/testing';
import { PathSetInventory } from '../drift';
import { runReplay, runRulesValidate } from './index';

function collect(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  let data = '';
  stream.on('data', (c: Buffer) => (data += c.toString()));
  return { stream, text: () => data };
}

const dir = mkdtempSync(path.join(tmpdir(), 'bh-runtime-cli-'));
const write = (name: string, content: string) => {
  const p = path.join(dir, name);
  writeFileSync(p, content);
  return p;
};

const rules = write(
  'rules.yaml',
  `- macro: spawned
  condition: evt.type = execve
- rule: Shell
  desc: d
  condition: spawned and proc.name in (bash, sh)
  output: "shell %proc.name"
  priority: WARNING
`,
);

describe('runRulesValidate', () => {
  it('passes good files and lists warnings with file:line:col', async () => {
    const withWarning = write('warn.yaml', '- list: unused\n  items: [a]\n');
    const r = await runRulesValidate([rules, withWarning]);
    expect(r.exitCode).toBe(0);
    expect(r.output).toContain(`${withWarning}:1:3: warning: list unused: list not referenced by any rule`);
    expect(r.output).toMatch(/1 rule\(s\) compiled \(1 enabled\), 0 error\(s\), 1 warning\(s\): OK/);
  });

  it('fails with the position of each error, and still checks the other files', async () => {
    const bad = write('bad.yaml', '- rule: Broken\n  desc: d\n  condition: evt.type = open and (\n  output: o\n  priority: INFO\n');
    const missing = path.join(dir, 'missing.yaml');
    const r = await runRulesValidate([bad, rules, missing]);
    expect(r.exitCode).toBe(1);
    // In words, not the file system's code (no ENOENT).
    expect(r.output).toContain(`${missing}:1:1: error: cannot read rules file: no such file or directory`);
    expect(r.output).not.toContain('ENOENT');
    expect(r.output).toMatch(new RegExp(`${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3:\\d+: error: rule Broken: unexpected end of condition`));
    expect(r.output).toMatch(/1 rule\(s\) compiled/);
    expect((await runRulesValidate([])).exitCode).toBe(2);
  });
});

describe('runReplay', () => {
  it('prints one alert per line in event order, counting malformed lines without stopping', async () => {
    const events = write(
      'events.jsonl',
      [
        JSON.stringify({ 'evt.type': 'execve', 'proc.name': 'bash', 'evt.rawtime': 1 }),
        '{"evt.type": "execve", "proc.name": ',
        JSON.stringify({ 'evt.type': 'open', 'proc.name': 'bash' }),
        '',
        JSON.stringify({ hello: 'world' }),
        JSON.stringify({ 'evt.type': 'execve', 'proc.name': 'sh', 'evt.rawtime': 2 }),
      ].join('\n'),
    );
    const out = collect();
    const err = collect();
    const r = await runReplay({ rules: [rules], inputs: [events, path.join(dir, 'nope.jsonl')], output: out.stream, errorOutput: err.stream });
    const alerts = out.text().trim().split('\n').map((l) => JSON.parse(l));
    expect(alerts.map((a) => a.output_fields['proc.name'])).toEqual(['bash', 'sh']);
    expect(r).toEqual({ exitCode: 1, events: 3, alerts: 2, malformed: 2 });
    expect(err.text()).toContain(`skipped malformed event at ${events}:2: invalid JSON`);
    expect(err.text()).toContain(`skipped malformed event at ${events}:5: not a syscall event`);
    expect(err.text()).toContain('replay: 3 event(s), 2 alert(s), 2 malformed input(s) skipped');
    expect(err.text()).toContain('cannot read');
    // Falco's end-of-run summary, by priority and by rule.
    expect(err.text()).toMatch(/Events detected: 2\nRule counts by severity:\n {3}WARNING: 2\nTriggered rules by rule name:\n {3}.+: 2\n$/);
  });

  it("prints Falco's text alert line with --format text", async () => {
    const events = write('text.jsonl', JSON.stringify({ 'evt.type': 'execve', 'proc.name': 'bash', 'evt.rawtime': 1_000_000_123 }) + '\n');
    const asJson = collect();
    await runReplay({ rules: [rules], inputs: [events], output: asJson.stream, errorOutput: collect().stream });
    const out = collect();
    const r = await runReplay({ rules: [rules], inputs: [events], output: out.stream, errorOutput: collect().stream, format: 'text' });
    expect(r.alerts).toBe(1);
    const alert = JSON.parse(asJson.text()) as { output: string; priority: string };
    expect(out.text()).toBe(`${alert.output}\n`);
    expect(out.text()).toMatch(new RegExp(`^00:00:01\\.000000123: ${alert.priority} \\S`));
  });

  it('writes alerts to a file when output is a path', async () => {
    const events = write('one.json', JSON.stringify([{ 'evt.type': 'execve', 'proc.name': 'bash' }]));
    const target = path.join(dir, 'alerts.jsonl');
    const r = await runReplay({ rules: [rules], inputs: [events], output: target, errorOutput: collect().stream });
    expect(r).toMatchObject({ exitCode: 0, alerts: 1 });
    expect(JSON.parse(readFileSync(target, 'utf8')).rule).toBe('Shell');
  });

  it('adds drift alerts for execs outside the image inventory, after the rule alerts of the same event', async () => {
    const exec = { 'evt.type': 'execve', 'evt.dir': '<', 'evt.rawres': 0, 'container.id': 'c1', 'container.image.digest': 'sha256:img' };
    const events = write(
      'drift.jsonl',
      [
        { ...exec, 'proc.name': 'sh', 'proc.exepath': '/bin/sh', 'evt.rawtime': 1 },
        { ...exec, 'proc.name': 'xmrig', 'proc.exepath': '/tmp/xmrig', 'evt.rawtime': 2 },
        { ...exec, 'proc.name': 'bash', 'proc.exepath': '/tmp/bash', 'evt.rawtime': 3 },
        { ...exec, 'proc.name': 'xmrig', 'proc.exepath': '/tmp/xmrig', 'container.image.digest': 'sha256:unscanned', 'evt.rawtime': 4 },
      ]
        .map((e) => JSON.stringify(e))
        .join('\n'),
    );
    const inventory = new PathSetInventory(['/bin/sh', '/usr/bin/dash']);
    const out = collect();
    const r = await runReplay({ rules: [rules], inputs: [events], output: out.stream, errorOutput: collect().stream, hostname: 'h', inventory: (d) => (d === 'sha256:img' ? inventory : undefined) });
    const alerts = out.text().trim().split('\n').map((l) => JSON.parse(l));
    expect(alerts.map((a) => `${a.rule} ${a.output_fields['proc.exepath'] ?? a.output_fields['proc.name']}`)).toEqual(['Shell sh', 'Drift Detected /tmp/xmrig', 'Shell bash', 'Drift Detected /tmp/bash']);
    expect(alerts.every((a) => a.hostname === 'h')).toBe(true);
    expect(r).toEqual({ exitCode: 0, events: 4, alerts: 4, malformed: 0 });
  });

  it('refuses to run with broken rules', async () => {
    const err = collect();
    const bad = write('bad2.yaml', '- rule: X\n  desc: d\n  condition: nope\n  output: o\n  priority: INFO\n');
    const r = await runReplay({ rules: [bad], inputs: [], output: collect().stream, errorOutput: err.stream });
    expect(r.exitCode).toBe(1);
    expect(err.text()).toContain(`${bad}:3:14: error: rule X: undefined macro 'nope' used in filter`);
  });
});

describeWithShared('runReplay on real audit traces', (shared) => {
  it('replays the Falco k8s audit trace files (one Event per line) with the plugin rules', async () => {
    const k8s = path.join(shared, 'peers', 'falco', 'k8saudit');
    const out = collect();
    const err = collect();
    const r = await runReplay({
      rules: [path.join(k8s, 'k8s_audit_rules.yaml')],
      inputs: ['create_nginx_pod_privileged.json', 'fal_01_003.json', 'create_configmap_sensitive_values.json'].map((f) => path.join(k8s, 'test_files', f)),
      output: out.stream,
      errorOutput: err.stream,
    });
    expect(r.exitCode).toBe(0);
    expect(r.malformed).toBe(1);
    expect(r.events).toBe(7);
    const rulesHit = out.text().trim().split('\n').map((l) => JSON.parse(l).rule);
    expect(rulesHit[0]).toBe('Create Privileged Pod');
    expect(rulesHit.filter((x) => x === 'Create/Modify Configmap With Private Credentials').length).toBeGreaterThan(0);
  });
});
