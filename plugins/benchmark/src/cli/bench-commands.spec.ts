import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { EXIT_CODES, parseIgnoreFile } from '@bulkhead/plugin-sdk/cli';
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

  it('honours an ignore file: ids or equivalents, limited to targets, with the count on stderr', async () => {
    const file = path.join(dir, 'Dockerfile');
    const ignoreRules = parseIgnoreFile(`DS005 ${file}   # same problem as DL3020: an equivalent id\nDL3007 elsewhere/Dockerfile\n`, '.bulkheadignore');
    const out = await runBenchDockerfile({ file, format: 'json', exitCode: 1, ignoreRules, ignoreFile: '.bulkheadignore' });
    const ids = JSON.parse(out.output).results.filter((r: { status: string }) => r.status !== 'PASS').map((r: { checkId: string }) => r.checkId);
    expect(ids).not.toContain('DL3020');
    expect(ids).toContain('DL3007'); // its rule names another file
    expect(out.notice).toBe('ignored 1 result (.bulkheadignore)');
    expect(out.exitCode).toBe(0); // DL3020 was the only failure (DL3007 and DL3025 are warnings)
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
    const missing = await runBenchDockerfile({ file: path.join(dir, 'nope') });
    expect(missing.exitCode).toBe(1);
    expect(missing.output).toMatch(/error: cannot read Dockerfile .*nope: no such file or directory/);
    await expect(runBenchDockerfile({ file: path.join(dir, 'Dockerfile'), format: 'xml' })).rejects.toMatchObject({ exitCode: EXIT_CODES.usage });
    await expect(runBenchDockerfile({ file: path.join(dir, 'Dockerfile'), exitCode: '-1' })).rejects.toThrow(/--exit-code "-1"/);
  });
});

describe('bench dockerfile on directories', () => {
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(path.join(tmpdir(), 'bench-dockerfiles-'));
    const files: Record<string, string> = {
      'Dockerfile': 'FROM alpine:3.20\nUSER app\n',
      'api/Dockerfile.prod': 'FROM alpine:3.20\nADD app.tar /app\n',
      'tools/ci.Dockerfile': 'FROM alpine:latest\n',
      'legacy/Containerfile': 'FROM alpine:3.20\nRUN apk update\n',
      'docs/Dockerfile.md.txt/README': 'not a Dockerfile',
      'docs/notes.txt': 'FROM nothing',
      'node_modules/pkg/Dockerfile': 'FROM ignored:latest\n',
      '.Dockerfile': 'FROM hidden:latest\n',
    };
    for (const [rel, text] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
      writeFileSync(path.join(root, rel), text);
    }
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('finds Dockerfile, Dockerfile.*, *.Dockerfile and Containerfile, and reports them together', async () => {
    const json = JSON.parse((await runBenchDockerfile({ paths: [root], format: 'json' })).output);
    const files = [...new Set(json.results.map((r: { file: string }) => path.relative(root, r.file)))].sort();
    expect(files).toEqual(['Dockerfile', 'api/Dockerfile.prod', 'legacy/Containerfile', 'tools/ci.Dockerfile']);
    expect(json.title).toBe('Dockerfile checks of 4 files');
    const latest = json.results.find((r: { checkId: string; status: string }) => r.checkId === 'DL3007' && r.status !== 'PASS');
    expect(latest).toMatchObject({ file: path.join(root, 'tools/ci.Dockerfile'), line: 1 });
    const out = await runBenchDockerfile({ paths: [path.join(root, 'Dockerfile'), path.join(root, 'api')], exitCode: 1 });
    expect(out.exitCode).toBe(1);
    expect(out.output).toContain('Dockerfile checks of 2 files');
  });

  it('says so when a directory holds no Dockerfile', async () => {
    const result = await runBenchDockerfile({ paths: [path.join(root, 'docs')] });
    expect(result.exitCode).toBe(1);
    expect(result.output).toMatch(/error: no Dockerfile under .*docs \(looked for Dockerfile, Dockerfile\.\*, \*\.Dockerfile, Containerfile\)/);
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

describe('bench image --accept-key', () => {
  it('accepts the flag its secret message suggests, and names a bad one', async () => {
    const config = { config: { User: 'app', Healthcheck: { Test: ['CMD', 'true'] } }, history: [{ created_by: '/bin/sh -c #(nop)  ENV API_SECRET=abc123' }] };
    writeFileSync(path.join(dir, 'secret-config.json'), JSON.stringify(config));
    const target = path.join(dir, 'secret-config.json');
    const before = await runBenchImage({ target, configOnly: true, contentTrust: true });
    expect(before.output).toMatch(/CIS-DI-0010/);
    const secret = JSON.parse((await runBenchImage({ target, configOnly: true, contentTrust: true, format: 'json' })).output).results.find(
      (r: { checkId: string; status: string }) => r.checkId === 'CIS-DI-0010' && r.status !== 'PASS',
    );
    expect(secret.message).toContain('--accept-key');
    const after = JSON.parse((await runBenchImage({ target, configOnly: true, contentTrust: true, acceptKey: ['API_SECRET'], format: 'json' })).output);
    expect(after.results.filter((r: { checkId: string; status: string }) => r.checkId === 'CIS-DI-0010' && r.status !== 'PASS')).toEqual([]);
    await expect(runBenchImage({ target, configOnly: true, acceptKey: 'A B' })).rejects.toThrow(/--accept-key "A B"/);
  });
});

describeWithShared('bench image and bench node on shared data', (shared) => {
  it('bench image docker-archive: finds the credential file of Dockle scratch.tar', async () => {
    const target = `docker-archive:${path.join(shared, 'peers/dockle/pkg/scanner/testdata/scratch.tar')}`;
    const out = await runBenchImage({ target, format: 'json', exitCode: 5, contentTrust: true });
    expect(out.exitCode).toBe(5);
    expect(JSON.parse(out.output).results.find((r: { checkId: string; status: string }) => r.checkId === 'CIS-DI-0010' && r.status === 'FAIL')).toBeDefined();
  });

  it('bench image --ignore leaves out a check by its Trivy equivalent (DS031 = CIS-DI-0010)', async () => {
    const target = `docker-archive:${path.join(shared, 'peers/dockle/pkg/scanner/testdata/scratch.tar')}`;
    const out = await runBenchImage({ target, format: 'json', contentTrust: true, ignore: ['ds031'] });
    expect(JSON.parse(out.output).results.some((r: { checkId: string }) => r.checkId === 'CIS-DI-0010')).toBe(false);
    expect(out.notice).toMatch(/^ignored [1-9]\d* results? \(--ignore\)$/);
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
      const options = { benchmark: 'cis-1.8', config: path.join(shared, 'peers/kube-bench/cfg'), root, targets: 'node', check: '4.1.1,4.1.2', timeout: '5', format: 'json', runner: { processes: [], nodeName: 'n1' } };
      const ignored = await runBenchNode({ ...options, ignore: '4.1.1' });
      expect(JSON.parse(ignored.output).results.map((r: { checkId: string }) => r.checkId)).toEqual(['4.1.2']);
      expect(ignored.notice).toBe('ignored 1 result (--ignore)');
      await expect(runBenchNode({ ...options, ignore: ['4.1.1', '9.9.9'] })).rejects.toThrow('--ignore "9.9.9": no Bulkhead check has this id');
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
