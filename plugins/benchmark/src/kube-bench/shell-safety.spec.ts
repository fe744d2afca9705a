import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runBenchNode } from '../cli/node-command';
import { auditEnvironment, runShellAudit } from './audit';
import { runKubeBench } from './run-benchmark';

/**
 * A kube-bench cfg folder with one benchmark whose audits name a node path literally and through
 * a `$kubeletconf` substitution: under --root both point into the root folder.
 */
function plantCfg(dir: string, audit = 'stat -c %a /etc/kubernetes/kubelet.conf; cat $kubeletconf'): string {
  const cfgDir = path.join(dir, 'cfg');
  mkdirSync(path.join(cfgDir, 'cis-test'), { recursive: true });
  writeFileSync(
    path.join(cfgDir, 'config.yaml'),
    [
      'target_mapping:',
      '  cis-test: [node]',
      'node:',
      '  components: [kubelet]',
      '  kubelet:',
      '    bins: [kubelet]',
      '    optional: true',
      '    confs: [/etc/kubernetes/kubelet.conf]',
      '    defaultconf: /etc/kubernetes/kubelet.conf',
      '',
    ].join('\n'),
  );
  writeFileSync(
    path.join(cfgDir, 'cis-test', 'node.yaml'),
    [
      'controls:',
      'version: cis-test',
      'id: 4',
      'text: Worker Node',
      'type: node',
      'groups:',
      '- id: "4.1"',
      '  text: files',
      '  checks:',
      '  - id: 4.1.1',
      '    text: kubelet.conf mode',
      `    audit: ${JSON.stringify(audit)}`,
      '    tests:',
      '      test_items:',
      '      - flag: "600"',
      '        set: true',
      '    scored: true',
      '',
    ].join('\n'),
  );
  return cfgDir;
}

const HOSTILE_NAMES = ['x;touch PWNED;y', '$(touch PWNED)', '`touch PWNED`', "a'b\"c;touch PWNED"];

describe('no shell built from data (kube-bench audits)', () => {
  let dir = '';
  let cwd = '';
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'bulkhead-shell-'));
    cwd = process.cwd();
    // An injected `touch PWNED` would land in the audit's working directory: this one.
    process.chdir(dir);
  });
  afterEach(() => {
    process.chdir(cwd);
    rmSync(dir, { recursive: true, force: true });
  });

  it.each(HOSTILE_NAMES)('a --root folder named %j runs nothing and is still read as the root (inline bench node)', async (name) => {
    const cfgDir = plantCfg(dir);
    const root = path.join(dir, name);
    mkdirSync(path.join(root, 'etc/kubernetes'), { recursive: true });
    writeFileSync(path.join(root, 'etc/kubernetes/kubelet.conf'), 'kubelet config\n', { mode: 0o600 });
    const out = await runBenchNode({ config: cfgDir, benchmark: 'cis-test', root, targets: 'node', format: 'json', runner: { processes: [], nodeName: 'n1' } });
    expect(existsSync(path.join(dir, 'PWNED'))).toBe(false);
    const report = JSON.parse(out.output) as { results: { checkId: string; status: string; data: { audit: string } }[] };
    // The audit read the file inside the hostile-named root: mode 600 → PASS.
    expect(report.results).toEqual([expect.objectContaining({ checkId: '4.1.1', status: 'PASS' })]);
    expect(report.results[0]?.data.audit).toBe('stat -c %a "${BULKHEAD_ROOT}"/etc/kubernetes/kubelet.conf; cat "${BULKHEAD_ROOT}"/etc/kubernetes/kubelet.conf');
    expect(report.results[0]?.data.audit).not.toContain('PWNED');
  });

  it('refuses a root with a line break before running anything', async () => {
    const cfgDir = plantCfg(dir, 'touch PWNED');
    await expect(runKubeBench({ cfgDir, benchmark: 'cis-test', root: `${dir}/a\nb`, targets: ['node'], processes: [] })).rejects.toThrow(/NUL or line breaks/);
    expect(existsSync(path.join(dir, 'PWNED'))).toBe(false);
  });

  it("an audit that prints its environment sees none of this process's secrets", async () => {
    const saved = { ...process.env };
    Object.assign(process.env, {
      DATABASE_URL: 'postgres://secret@db/bulkhead',
      REDIS_URL: 'redis://:secret@redis',
      BULKHEAD_TOKEN: 'bh_secret_token',
      BULKHEAD_ALLOWED_PATHS: '/data',
      AWS_SECRET_ACCESS_KEY: 'secret',
    });
    try {
      const { output } = await runShellAudit('env', { timeoutMs: 5000, env: { BULKHEAD_ROOT: '/mnt/node' } });
      const names = output.trim().split('\n').map((l) => l.split('=')[0]);
      expect(output).not.toContain('secret');
      expect(names.filter((n) => !['PWD', 'SHLVL', '_', 'OLDPWD'].includes(n ?? '')).sort()).toEqual(
        ['BULKHEAD_ROOT', 'HOME', 'LANG', 'LC_ALL', 'PATH', ...(process.env['KUBECONFIG'] ? ['KUBECONFIG'] : [])].sort(),
      );
      expect(output).toContain('HOME=/nonexistent\n');
    } finally {
      process.env = saved;
    }
  });

  it('refuses audit variables with line breaks', () => {
    expect(() => auditEnvironment({ BULKHEAD_ROOT: 'a\nb' })).toThrow(/line breaks/);
  });
});
