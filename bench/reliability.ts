// The reliability suite (issue 11): `npm run bench -- reliability [tasks] [--workers N] [--min-seconds S] [--no-baseline]`.
//
// A private Postgres cluster (initdb into a temporary folder, its own port; as root through
// `runuser -u postgres`), the compiled API and N worker processes from dist/ (built by
// `npm run bench`), and `tasks` (default 1,000) tasks submitted through GraphQL, each ingesting
// one Falco alert (one runtime finding). While they run, a worker is SIGKILLed every 3 s and
// replaced, the run's own Redis prefix is flushed (SCAN + DEL, a third of the way) and Postgres is
// restarted (immediate stop, 3 s down, two thirds of the way). Then: every accepted task SUCCEEDED,
// exactly once (a trigger records every task transition), one finding per task, no duplicate rows.
// Baseline, same run: the same tasks with no fault. Prints both reports and the ratio of their
// throughput; exit code 1 when the faulted run fails a check.
import { mkdirSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import path from 'node:path';
import { disposeAllPrivatePostgres, repoRoot } from '@bulkhead/testing';
import { formatReliabilityReport, runReliabilitySuite, type ReliabilityReport } from '@bulkhead/testing/reliability';
import { printTable } from './lib/measure';

function argValue(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

// Interrupted: the private Postgres is a daemon that would outlive this process (the platform
// processes are children and get the same signal).
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void disposeAllPrivatePostgres().finally(() => process.exit(130));
  });
}

async function main(): Promise<void> {
  const tasks = Number(process.argv.slice(2).find((a) => /^\d+$/.test(a)) ?? 1_000);
  const workers = Number(argValue('--workers') ?? 3);
  const baseline = !process.argv.includes('--no-baseline');
  // Submissions spread over at least a minute (both runs), so that workers die many times
  // during the run however fast the platform finishes the tasks.
  const minDurationMs = Number(argValue('--min-seconds') ?? 60) * 1000;
  // This file runs as dist/bench/reliability.js: the platform is compiled beside it. Every
  // process's stderr is kept under tmp/reliability/<time>/<run>/ for reading after a failure.
  const logs = path.join(repoRoot, 'tmp', 'reliability', new Date().toISOString().replace(/[:.]/g, '-'));
  const compiledFor = (run: string) => {
    const logDir = path.join(logs, run);
    mkdirSync(logDir, { recursive: true });
    return { root: path.resolve(__dirname, '..'), cwd: repoRoot, logDir };
  };
  const redisUrl = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
  const log = (line: string) => process.stderr.write(`${line}\n`);
  console.log(`reliability: ${tasks} tasks, ${workers} workers; ${cpus().length} cores, load ${loadavg()[0]?.toFixed(2)}`);

  let calm: ReliabilityReport | undefined;
  if (baseline) {
    log('baseline: the same tasks without faults');
    calm = await runReliabilitySuite({ compiled: compiledFor('baseline'), redisUrl, tasks, workers, faults: false, minDurationMs, log });
    console.log(formatReliabilityReport(calm, 'baseline (no faults)'));
  }
  log('faulted run: SIGKILL every 3 s, Redis prefix flushed, Postgres restarted');
  const faulted = await runReliabilitySuite({ compiled: compiledFor('faults'), redisUrl, tasks, workers, faults: true, minDurationMs, log });
  console.log(formatReliabilityReport(faulted, 'faulted run'));
  console.log();
  const row = (name: string, r: ReliabilityReport) => [
    name, r.pass ? 'PASS' : 'FAIL', `${r.accepted}`, `${(r.durationMs / 1000).toFixed(1)} s`, r.tasksPerSecond.toFixed(1), `${r.taskP50Ms.toFixed(0)} ms`, `${r.taskP95Ms.toFixed(0)} ms`, `${r.kills}`,
  ];
  printTable(['run', 'verdict', 'tasks', 'duration', 'tasks/s', 'task p50', 'task p95', 'kills'], [...(calm ? [row('baseline', calm)] : []), row('faults', faulted)]);
  if (calm) {
    console.log(`under faults: throughput ${(faulted.tasksPerSecond / calm.tasksPerSecond).toFixed(2)}× the baseline's, task p95 ${(faulted.taskP95Ms / Math.max(1, calm.taskP95Ms)).toFixed(1)}× (submissions spread over ≥ ${minDurationMs / 1000} s in both)`);
  }
  console.log(`process logs: ${path.relative(repoRoot, logs)}`);
  console.log(faulted.pass && (calm?.pass ?? true) ? 'PASS' : 'FAIL');
  process.exitCode = faulted.pass && (calm?.pass ?? true) ? 0 : 1;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
