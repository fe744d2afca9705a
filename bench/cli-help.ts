// `bulkhead --help` start-up time: `npm run bench -- cli-help [runs]`.
//
// Runs the compiled CLI (bin/bulkhead.js, as an installed `bulkhead` runs it) with --help N times
// (default 10) from a temporary folder, alternating with `node -e 0` (the baseline: Node's own
// start-up, which no CLI can beat) in the same run, and prints the medians, the fastest runs
// (the machine is shared) and the ratio. Target: median of `bulkhead --help` <= 300 ms.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { median, printTable } from './lib/measure';

const TARGET_MS = 300;
const repoRoot = path.resolve(__dirname, '../..');
// BULKHEAD_BIN times an installed command instead (e.g. <prefix>/bin/bulkhead after
// `npm install -g --prefix <prefix> dist/packages/bulkhead-<version>.tgz`).
const bin = process.env['BULKHEAD_BIN'] ? path.resolve(process.env['BULKHEAD_BIN']) : path.join(repoRoot, 'bin', 'bulkhead.js');
const runs = Number(process.argv[2] ?? 10);
if (!Number.isInteger(runs) || runs < 1) throw new Error(`runs must be a positive integer, not ${process.argv[2]}`);

/** Wall-clock milliseconds of one process from spawn to exit (stdout discarded). */
function timeProcess(args: readonly string[], cwd: string): number {
  const start = performance.now();
  execFileSync(process.execPath, args, { cwd, stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, NO_COLOR: '1' } });
  return performance.now() - start;
}

const cwd = mkdtempSync(path.join(tmpdir(), 'bulkhead-cli-help-'));
try {
  // One warm-up of each: the first run reads the files from disk, later ones from the page cache.
  timeProcess(['-e', '0'], cwd);
  timeProcess([bin, '--help'], cwd);
  const baseline: number[] = [];
  const help: number[] = [];
  for (let i = 0; i < runs; i++) {
    baseline.push(timeProcess(['-e', '0'], cwd));
    help.push(timeProcess([bin, '--help'], cwd));
  }
  const b = median(baseline);
  const h = median(help);
  printTable(
    ['command', 'runs', 'median ms', 'fastest ms', 'ratio to node -e 0'],
    [
      ['node -e 0 (baseline)', String(runs), b.toFixed(0), Math.min(...baseline).toFixed(0), '1.00'],
      [`bulkhead --help (${path.relative(process.cwd(), bin) || bin})`, String(runs), h.toFixed(0), Math.min(...help).toFixed(0), (h / b).toFixed(2)],
    ],
  );
  console.log(`\nbulkhead --help median ${h.toFixed(0)} ms (${(h - b).toFixed(0)} ms above Node's start-up): ${h <= TARGET_MS ? 'within' : 'OVER'} the ${TARGET_MS} ms target`);
  if (h > TARGET_MS) process.exitCode = 1;
} finally {
  rmSync(cwd, { recursive: true, force: true });
}
