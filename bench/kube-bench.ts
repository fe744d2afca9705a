// kube-bench control format benchmark: `npm run bench -- kube-bench`.
//
// 1. Loading every kube-bench control file of ../shared/peers/kube-bench/cfg (parse and validate
//    into checks) against a baseline of reading and YAML-parsing the same files in the same run.
// 2. Evaluating the tests of every check of every control file against a canned audit output
//    (no shell), against the baseline of parsing them: the pure evaluation cost per check.
// 3. Running one benchmark's node checks for real (shell audits) with 4 audits in flight,
//    against the same run with 1 in flight (kube-bench runs audits one by one).
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { executeTests, parseControls, runKubeBench, type Controls } from '@bulkhead/plugin-benchmark';
import { sharedPath } from '@bulkhead/testing';
import { FAILSAFE_SCHEMA, load } from 'js-yaml';
import { median, timeAsync, type BaselineRow as Row } from './lib/measure';

const RUNS = 5;

async function main(): Promise<void> {
  // Compiled to dist/, @bulkhead/testing's repo root is dist/: fall back to ../shared from the
  // working directory (bench.sh runs from the repository root).
  const candidates = [sharedPath('peers', 'kube-bench', 'cfg'), path.resolve('..', 'shared', 'peers', 'kube-bench', 'cfg')];
  const cfgDir = candidates.find((c): c is string => c !== undefined && existsSync(c));
  if (!cfgDir) {
    console.log('skipped: ../shared is absent (set BULKHEAD_SHARED_DIR)');
    return;
  }
  const files = readdirSync(cfgDir)
    .filter((d) => statSync(path.join(cfgDir, d)).isDirectory())
    .flatMap((d) =>
      readdirSync(path.join(cfgDir, d))
        .filter((f) => f.endsWith('.yaml') && f !== 'config.yaml')
        .map((f) => path.join(d, f)),
    );
  const rows: Row[] = [];

  const parseBaseline: number[] = [];
  const parseMeasured: number[] = [];
  let controls: Controls[] = [];
  for (let i = 0; i < RUNS; i++) {
    parseBaseline.push(await timeAsync(() => void files.forEach((f) => load(readFileSync(path.join(cfgDir, f), 'utf8'), { schema: FAILSAFE_SCHEMA }))));
    parseMeasured.push(await timeAsync(() => void (controls = files.map((f) => parseControls(readFileSync(path.join(cfgDir, f), 'utf8'), f)))));
  }
  const checks = controls.flatMap((c) => c.groups.flatMap((g) => g.checks));
  rows.push({ name: 'load all control files', items: files.length, baselineMs: median(parseBaseline), measuredMs: median(parseMeasured), note: `${checks.length} checks; baseline: read + YAML parse` });

  const withTests = checks.filter((c) => c.tests && c.tests.testItems.length > 0);
  const outputs = { audit: '--anonymous-auth=false --profiling=false permissions=600 root:root', auditConfig: '{"authentication":{"anonymous":{"enabled":false}}}', auditEnv: '' };
  const evalMeasured: number[] = [];
  for (let i = 0; i < RUNS; i++) evalMeasured.push(await timeAsync(() => void withTests.forEach((c) => executeTests(c, outputs))));
  rows.push({ name: 'evaluate tests (canned output)', items: withTests.length, baselineMs: median(parseMeasured), measuredMs: median(evalMeasured), note: 'baseline: loading the files' });

  const root = mkdtempSync(path.join(tmpdir(), 'bh-bench-kube-bench-'));
  try {
    const sequential: number[] = [];
    const parallel: number[] = [];
    for (let i = 0; i < 3; i++) {
      sequential.push(await timeAsync(async () => void (await runKubeBench({ cfgDir, benchmark: 'cis-1.8', targets: ['node'], root, processes: [], nodeName: 'bench', concurrency: 1 }))));
      parallel.push(await timeAsync(async () => void (await runKubeBench({ cfgDir, benchmark: 'cis-1.8', targets: ['node'], root, processes: [], nodeName: 'bench', concurrency: 4 }))));
    }
    const nodeChecks = controls.find((c) => c.version === 'cis-1.8' && c.type === 'node')?.groups.flatMap((g) => g.checks).length ?? 0;
    rows.push({ name: 'run cis-1.8 node (shell audits)', items: nodeChecks, baselineMs: median(sequential), measuredMs: median(parallel), note: 'baseline: 1 audit at a time; measured: 4' });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }

  const header = ['benchmark', 'items', 'baseline ms', 'measured ms', 'ratio', 'note'];
  const table = rows.map((r) => [r.name, String(r.items), r.baselineMs.toFixed(1), r.measuredMs.toFixed(1), (r.measuredMs / r.baselineMs).toFixed(2), r.note]);
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => (row[i] ?? '').length)));
  for (const row of [header, ...table]) console.log(row.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  '));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
