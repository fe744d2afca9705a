import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describeWithShared } from '@bulkhead/testing';
import { runShellAudit } from './audit';
import { expandRootMarks, rewriteAuditForRoot, isBinaryRunning, parseProcessList, substitute } from './discovery';
import { runKubeBench } from './run-benchmark';

const isRoot = process.getuid?.() === 0;

describe('runShellAudit', () => {
  it('kills a hung audit and its background children at the timeout and says so', async () => {
    const started = Date.now();
    const result = await runShellAudit('sleep 30 & sleep 30; echo never', { timeoutMs: 300 });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(result.timedOut).toBe(true);
    expect(result.error).toMatch(/^audit timed out after 300 ms and was killed/);
    expect(result.output).not.toContain('never');
  });

  it('returns stdout and stderr together and reports a non-zero exit with its output', async () => {
    expect(await runShellAudit('echo out; echo err >&2', { timeoutMs: 5000 })).toEqual({ output: 'out\nerr\n' });
    const failed = await runShellAudit('echo nope; exit 3', { timeoutMs: 5000 });
    expect(failed.error).toBe('failed to run: "echo nope; exit 3", output: "nope\\n", error: exit status 3');
  });
});

describe('discovery helpers', () => {
  it('matches running binaries like kube-bench verifyBin', () => {
    const ps = parseProcessList('/usr/bin/kubelet --config=/x\nkube-apiserver --a\nhyperkube kubelet --b\n');
    expect(isBinaryRunning('kubelet', ps)).toBe(true);
    expect(isBinaryRunning('apiserver', ps)).toBe(false);
    expect(isBinaryRunning('hyperkube kubelet', ps)).toBe(true);
    expect(isBinaryRunning('kube-scheduler', ps)).toBe(false);
  });

  it('substitutes longest variables first and quotes multi-word values', () => {
    expect(substitute('ps -C $kubeletbin; $kubebin', 'bin', { kubelet: 'hyperkube kubelet', kube: 'k' }).text).toBe("ps -C 'hyperkube kubelet'; k");
  });

  it('rewrites literal node paths (not tools or /proc) under --root, as $BULKHEAD_ROOT quoted for their context', () => {
    expect(expandRootMarks(rewriteAuditForRoot(`stat -c %a /etc/kubernetes/admin.conf; /bin/ps -ef; cat /proc/1/environ; ls "/var/lib/etcd"; sh -c 'test -e /etc/x'`))).toBe(
      `stat -c %a "\${BULKHEAD_ROOT}"/etc/kubernetes/admin.conf; /bin/ps -ef; cat /proc/1/environ; ls "\${BULKHEAD_ROOT}/var/lib/etcd"; sh -c 'test -e \${BULKHEAD_ROOT}/etc/x'`,
    );
  });
});

/**
 * A fake node: a root file system in a temp dir with kubeadm-style config files (chosen modes
 * and owners), and real processes named kube-apiserver, kube-scheduler, kube-controller-manager
 * and kubelet (symlinks to `sleep`, started with their flags as argv[0]) so that kube-bench's own
 * `ps` audits find them.
 */
describeWithShared('kube-bench on a fake node (cis-1.8)', (shared) => {
  const cfgDir = path.join(shared, 'peers/kube-bench/cfg');
  let root = '';
  let bin = '';
  const children: ChildProcess[] = [];

  const file = (rel: string, content: string, mode: number, owner = 0): void => {
    const full = path.join(root, rel);
    mkdirSync(path.dirname(full), { recursive: true });
    writeFileSync(full, content);
    chmodSync(full, mode);
    if (isRoot) chownSync(full, owner, owner);
  };
  const fakeProcess = (name: string, flags: string): void => {
    const link = path.join(bin, name);
    symlinkSync('/bin/sleep', link);
    children.push(spawn(link, ['600'], { argv0: `${name} ${flags}`, stdio: 'ignore' }));
  };

  beforeAll(async () => {
    root = mkdtempSync(path.join(tmpdir(), 'bh-kube-bench-root-'));
    bin = mkdtempSync(path.join(tmpdir(), 'bh-kube-bench-bin-'));
    file('etc/kubernetes/manifests/kube-apiserver.yaml', 'kind: Pod\n', 0o644);
    file('etc/kubernetes/manifests/kube-controller-manager.yaml', 'kind: Pod\n', 0o600);
    file('etc/kubernetes/manifests/kube-scheduler.yaml', 'kind: Pod\n', 0o600, 1234);
    file('etc/kubernetes/admin.conf', 'kind: Config\n', 0o600);
    file('etc/systemd/system/kubelet.service.d/10-kubeadm.conf', '[Service]\n', 0o600);
    file('etc/kubernetes/kubelet.conf', 'kind: Config\n', 0o666);
    file(
      'var/lib/kubelet/config.yaml',
      'kind: KubeletConfiguration\nauthentication:\n  anonymous:\n    enabled: false\nauthorization:\n  mode: AlwaysAllow\n',
      0o600,
    );
    fakeProcess('kube-apiserver', '--anonymous-auth=false --token-auth-file=/etc/tokens.csv --authorization-mode=Node,RBAC');
    fakeProcess('kube-scheduler', '--profiling=false');
    fakeProcess('kube-controller-manager', '--profiling=false');
    fakeProcess('kubelet', '--config=/var/lib/kubelet/config.yaml');
    await new Promise((r) => setTimeout(r, 300));
  });

  afterAll(() => {
    for (const child of children) child.kill('SIGKILL');
    rmSync(root, { recursive: true, force: true });
    rmSync(bin, { recursive: true, force: true });
  });

  it('gives the expected PASS/FAIL for master and node checks', async () => {
    const run = await runKubeBench({
      cfgDir,
      benchmark: 'cis-1.8',
      targets: ['master', 'node'],
      root,
      nodeName: 'fake-node',
      checks: ['1.1.1', '1.1.2', '1.1.3', '1.1.6', '1.1.13', '1.2.1', '1.2.2', '4.1.1', '4.1.5', '4.2.1', '4.2.2'],
    });
    const states = Object.fromEntries(run.report.results.map((r) => [r.checkId, r.status]));
    expect(states).toEqual({
      '1.1.1': 'FAIL', // kube-apiserver.yaml is 644
      '1.1.2': isRoot ? 'PASS' : 'FAIL', // root:root
      '1.1.3': 'PASS', // kube-controller-manager.yaml is 600
      '1.1.6': 'FAIL', // kube-scheduler.yaml is owned by 1234
      '1.1.13': 'PASS', // literal /etc/kubernetes/admin.conf, rewritten under --root, is 600
      '1.2.1': 'PASS', // --anonymous-auth=false on the running apiserver
      '1.2.2': 'FAIL', // --token-auth-file is set
      '4.1.1': 'PASS', // kubelet service file is 600
      '4.1.5': 'FAIL', // kubelet.conf is 666
      '4.2.1': 'PASS', // config file: authentication.anonymous.enabled false
      '4.2.2': 'FAIL', // config file: authorization.mode AlwaysAllow
    });
    const r111 = run.report.results.find((r) => r.checkId === '1.1.1');
    expect(r111).toMatchObject({ target: 'fake-node', benchmark: 'cis-1.8', file: 'cis-1.8/master.yaml', severity: 'HIGH' });
    expect(r111?.message).toContain('permissions has permissions 644, expected 600 or more restrictive');
    // Remediation shows the node's path, audits the path under --root (as $BULKHEAD_ROOT, never the folder's name).
    expect(r111?.remediation).toContain('chmod 600 /etc/kubernetes/manifests/kube-apiserver.yaml');
    expect(r111?.data?.['audit']).toContain('${BULKHEAD_ROOT}/etc/kubernetes/manifests/kube-apiserver.yaml');
    expect(r111?.data?.['audit']).not.toContain(root);
    expect(run.notes).toEqual([]);
  });

  it('reports manual checks as WARN and skipped ones as INFO', async () => {
    const run = await runKubeBench({ cfgDir, benchmark: 'cis-1.8', targets: ['master'], root, checks: ['1.1.9', '1.1.1'], skip: ['1.1.1'] });
    const states = Object.fromEntries(run.report.results.map((r) => [r.checkId, [r.status, r.message]]));
    expect(states['1.1.1']).toEqual(['INFO', 'Test marked as skip']);
    expect(states['1.1.9']?.[0]).toBe('WARN'); // unscored CNI check
  });

  it('reports an audit that hangs as timed out', async () => {
    const run = await runKubeBench({
      cfgDir,
      benchmark: 'cis-1.8',
      targets: ['node'],
      root,
      checks: ['4.1.1'],
      timeoutMs: 200,
      runAudit: (command, options) => runShellAudit(`sleep 20; ${command}`, options),
    });
    expect(run.report.results[0]).toMatchObject({ status: 'FAIL', data: expect.objectContaining({ timedOut: true }) });
    expect(run.report.results[0]?.message).toMatch(/timed out after 200 ms/);
  });

  it('refuses targets the benchmark does not declare', async () => {
    await expect(runKubeBench({ cfgDir, benchmark: 'cis-1.8', targets: ['managedservices'] })).rejects.toThrow(/managedservices are not valid for cis-1.8/);
  });
});
