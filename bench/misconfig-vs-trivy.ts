// Manifest and Dockerfile misconfiguration checks against Trivy: `npm run bench -- misconfig-vs-trivy [--all-psa]`.
//
// One corpus, one run: the newest pod-security-admission fixtures of each level
// (../shared/peers/pod-security-admission; every version with --all-psa) plus the plugin's
// test-corpus (realistic manifests and Dockerfiles), copied to a temporary folder. Bulkhead runs
// `bench k8s` (every check group, PSS restricted) and `bench dockerfile` on it in-process (the
// functions the CLI commands call; median of 5 runs); Trivy runs `trivy config
// --skip-policy-update` on the same folder as a process (../shared/tools/trivy-peer.sh, a fresh
// cache folder per run; 1 run, it takes tens of seconds). Prints both times and their ratio.
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { runBenchDockerfile, runBenchK8s } from '@bulkhead/plugin-benchmark';
import { repoRoot, sharedPath } from '@bulkhead/testing';
import { gc, median, printTable, timeAsync } from './lib/measure';

const run = promisify(execFile);
const RUNS = 5;

function buildCorpus(psaRoot: string, allVersions: boolean): { dir: string; manifests: number; dockerfiles: number } {
  const dir = mkdtempSync(path.join(tmpdir(), 'misconfig-vs-trivy-'));
  const corpus = path.join(repoRoot, 'plugins', 'benchmark', 'test-corpus');
  cpSync(path.join(corpus, 'k8s'), path.join(dir, 'k8s'), { recursive: true });
  cpSync(path.join(corpus, 'docker'), path.join(dir, 'docker'), { recursive: true });
  for (const level of ['baseline', 'restricted']) {
    const versions = readdirSync(path.join(psaRoot, level)).sort((a, b) => Number(a.split('.')[1]) - Number(b.split('.')[1]));
    for (const version of allVersions ? versions : versions.slice(-1)) cpSync(path.join(psaRoot, level, version), path.join(dir, 'psa', level, version), { recursive: true });
  }
  const count = (d: string, test: (name: string) => boolean): number =>
    readdirSync(d, { withFileTypes: true }).reduce((n, e) => n + (e.isDirectory() ? count(path.join(d, e.name), test) : test(e.name) ? 1 : 0), 0);
  return {
    dir,
    manifests: count(path.join(dir, 'k8s'), (n) => n.endsWith('.yaml')) + count(path.join(dir, 'psa'), (n) => n.endsWith('.yaml')),
    dockerfiles: count(path.join(dir, 'docker'), () => true),
  };
}

async function main(): Promise<void> {
  const allVersions = process.argv.includes('--all-psa');
  const psaRoot = sharedPath('peers', 'pod-security-admission', 'testdata');
  const peer = sharedPath('tools', 'trivy-peer.sh');
  if (!psaRoot || !existsSync(psaRoot) || !peer || !existsSync(peer)) {
    console.log('skipped: needs ../shared/peers/pod-security-admission and ../shared/tools/trivy-peer.sh (BULKHEAD_SHARED_DIR names the folder)');
    return;
  }
  const trivy = (await run(peer, [], { timeout: 300_000 })).stdout.trim();
  const corpus = buildCorpus(psaRoot, allVersions);
  try {
    const k8sPaths = [path.join(corpus.dir, 'k8s'), path.join(corpus.dir, 'psa')];
    const dockerPaths = [path.join(corpus.dir, 'docker')];
    let bulkheadFailures = 0;
    const bulkhead = async (): Promise<void> => {
      const k8s = JSON.parse((await runBenchK8s({ paths: k8sPaths, pss: 'restricted', checks: 'pss,rbac,netpol,workload', format: 'json' })).output) as { checks?: unknown[]; results: unknown[] };
      const docker = JSON.parse((await runBenchDockerfile({ paths: dockerPaths, format: 'json' })).output) as { summary: { FAIL: number } };
      bulkheadFailures = (k8s.checks?.length ?? 0) + k8s.results.length + docker.summary.FAIL;
    };
    await bulkhead(); // warm-up: module loading and JIT, as a CLI process pays once
    const times: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      gc();
      times.push(await timeAsync(bulkhead));
    }
    const bulkheadMs = median(times);

    const cacheDir = mkdtempSync(path.join(tmpdir(), 'trivy-cache-'));
    let trivyFailures = 0;
    let trivyMs: number;
    try {
      trivyMs = await timeAsync(async () => {
        const { stdout } = await run(trivy, ['config', '--skip-policy-update', '--format', 'json', '--quiet', '--cache-dir', cacheDir, corpus.dir], { timeout: 1_800_000, maxBuffer: 512 << 20 });
        const report = JSON.parse(stdout) as { Results?: { Misconfigurations?: { Status: string }[] | null }[] };
        trivyFailures = (report.Results ?? []).reduce((n, r) => n + (r.Misconfigurations ?? []).filter((m) => m.Status === 'FAIL').length, 0);
      });
    } finally {
      rmSync(cacheDir, { recursive: true, force: true });
    }

    console.log(`corpus: ${corpus.manifests} manifests (${allVersions ? 'every' : 'the newest'} PSA fixture version + test-corpus/k8s), ${corpus.dockerfiles} Dockerfiles; load average ${loadavg()[0]?.toFixed(2)}`);
    printTable(
      ['tool', 'runs', 'ms', 'results'],
      [
        ['bulkhead bench k8s + bench dockerfile (in-process, median)', String(RUNS), bulkheadMs.toFixed(0), `${bulkheadFailures} rows`],
        ['trivy config --skip-policy-update (process)', '1', trivyMs.toFixed(0), `${trivyFailures} failures`],
      ],
    );
    console.log(`ratio: trivy / bulkhead = ${(trivyMs / bulkheadMs).toFixed(1)}x`);
  } finally {
    rmSync(corpus.dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
