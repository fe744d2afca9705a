import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BadInputError } from '@bulkhead/plugin-sdk';
import { describeWithShared } from '@bulkhead/testing';
import { runBenchContainer } from './container-command';
import { runBenchDockerfile } from './dockerfile-command';
import { runBenchImage } from './image-command';
import { runBenchNode } from './node-command';

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'bh-bench-cli-'));
  writeFileSync(path.join(dir, 'Dockerfile'), 'FROM alpine:latest\nADD app /app\nCMD run\n');
  writeFileSync(path.join(dir, 'Dockerfile.good'), 'FROM alpine:3.20\nCOPY app /app\nUSER 1000\nHEALTHCHECK CMD ["/app/health"]\nCMD ["/app/run"]\n');
  writeFileSync(
    path.join(dir, 'inspect.json'),
    JSON.stringify([{ Name: '/web', HostConfig: { Privileged: true, NetworkMode: 'host' }, Mounts: [], Config: {} }]),
  );
  writeFileSync(path.join(dir, 'image-config.json'), JSON.stringify({ config: { User: 'app', Healthcheck: { Test: ['CMD', 'true'] } }, history: [] }));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('bench dockerfile', () => {
  it('prints a table and exits with --exit-code when something fails', async () => {
    const out = await runBenchDockerfile({ file: path.join(dir, 'Dockerfile'), exitCode: '3' });
    expect(out.exitCode).toBe(3);
    expect(out.output).toMatch(/^Dockerfile checks of .*Dockerfile\n/);
    expect(out.output).toMatch(/FAIL\s+HIGH\s+DL3020/);
  });

  it('exits 0 without --exit-code, and when nothing fails', async () => {
    expect((await runBenchDockerfile({ file: path.join(dir, 'Dockerfile') })).exitCode).toBe(0);
    expect((await runBenchDockerfile({ file: path.join(dir, 'Dockerfile.good'), exitCode: 4 })).exitCode).toBe(0);
  });

  it('renders SARIF 2.1.0 with lines, JUnit and JSON', async () => {
    const sarif = JSON.parse((await runBenchDockerfile({ file: path.join(dir, 'Dockerfile'), format: 'sarif' })).output);
    expect(sarif.version).toBe('2.1.0');
    const add = sarif.runs[0].results.find((r: { ruleId: string }) => r.ruleId === 'DL3020');
    expect(add.locations[0].physicalLocation.region.startLine).toBe(2);
    expect((await runBenchDockerfile({ file: path.join(dir, 'Dockerfile'), format: 'junit' })).output).toContain('<failure');
    const json = JSON.parse((await runBenchDockerfile({ file: path.join(dir, 'Dockerfile'), format: 'json' })).output);
    expect(json.summary.FAIL).toBeGreaterThan(0);
  });

  it('names bad options and missing files', async () => {
    await expect(runBenchDockerfile({ file: path.join(dir, 'nope') })).rejects.toThrow(/cannot read Dockerfile .*nope: ENOENT/);
    await expect(runBenchDockerfile({ file: path.join(dir, 'Dockerfile'), format: 'xml' })).rejects.toThrow(BadInputError);
    await expect(runBenchDockerfile({ file: path.join(dir, 'Dockerfile'), exitCode: '-1' })).rejects.toThrow(/--exit-code "-1"/);
  });
});

describe('bench container', () => {
  it('checks docker inspect output', async () => {
    const out = await runBenchContainer({ file: path.join(dir, 'inspect.json'), format: 'json', exitCode: 1 });
    expect(out.exitCode).toBe(1);
    const report = JSON.parse(out.output);
    expect(report.results.filter((r: { status: string }) => r.status === 'FAIL').map((r: { checkId: string }) => r.checkId)).toEqual(
      expect.arrayContaining(['5.4', '5.9']),
    );
  });
});

describe('bench image --config-only', () => {
  it('checks an image config JSON', async () => {
    const out = await runBenchImage({ target: path.join(dir, 'image-config.json'), configOnly: true, name: 'app:latest', contentTrust: true, exitCode: 2 });
    expect(out.exitCode).toBe(0); // DKL-DI-0006 is a warning, not a failure
    expect(out.output).toMatch(/WARN\s+MEDIUM\s+DKL-DI-0006/);
  });
});

describeWithShared('bench image and bench node on shared data', (shared) => {
  it('bench image docker-archive: finds the credential file of Dockle scratch.tar', async () => {
    const target = `docker-archive:${path.join(shared, 'peers/dockle/pkg/scanner/testdata/scratch.tar')}`;
    const out = await runBenchImage({ target, format: 'json', exitCode: 5, contentTrust: true });
    expect(out.exitCode).toBe(5);
    expect(JSON.parse(out.output).results.find((r: { checkId: string; status: string }) => r.checkId === 'CIS-DI-0010' && r.status === 'FAIL')).toBeDefined();
  });

  it('bench node runs a benchmark against a root directory with a timeout in seconds', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'bh-bench-node-'));
    try {
      writeFileSync(path.join(root, 'x'), '');
      const out = await runBenchNode({
        benchmark: 'cis-1.8',
        config: path.join(shared, 'peers/kube-bench/cfg'),
        root,
        targets: 'node',
        check: '4.1.1,4.1.2',
        timeout: '5',
        exitCode: 7,
        format: 'json',
        runner: { processes: [], nodeName: 'n1' },
      });
      const json = JSON.parse(out.output);
      expect(json).toMatchObject({ benchmark: 'cis-1.8', targets: ['node'] });
      expect(json.results.map((r: { checkId: string }) => r.checkId)).toEqual(['4.1.1', '4.1.2']);
      // No kubelet running: kube-bench leaves $kubeletbin unsubstituted and says so.
      expect(json.notes).toEqual(['node: unable to detect running programs for kubelet; $...bin variables are left unsubstituted']);
      expect(out.exitCode).toBe(json.summary.FAIL > 0 ? 7 : 0);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('bench node rejects unknown targets and bad timeouts', async () => {
    const config = path.join(shared, 'peers/kube-bench/cfg');
    await expect(runBenchNode({ benchmark: 'cis-1.8', config, targets: ['worker'] })).rejects.toThrow('--targets worker: expected some of master, node, controlplane, etcd, policies, managedservices');
    await expect(runBenchNode({ benchmark: 'cis-1.8', config, timeout: 'soon' })).rejects.toThrow(/--timeout "soon"/);
  });
});
