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

  async function replayRules(...args: string[]): Promise<{ code: number; rules: string[]; err: string }> {
    let stdout = '';
    const spy = jest.spyOn(process.stdout, 'write').mockImplementation(((chunk: string | Uint8Array) => {
      stdout += chunk.toString();
      return true;
    }) as typeof process.stdout.write);
    try {
      const { code, err } = await cli('runtime', 'replay', ...args);
      return { code, err, rules: stdout.trim() === '' ? [] : stdout.trim().split('\n').map((line) => (JSON.parse(line) as { rule: string }).rule) };
    } finally {
      spy.mockRestore();
    }
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
