import { existsSync } from 'node:fs';
import { usageError } from '@bulkhead/plugin-sdk/cli';
import { KUBE_BENCH_TARGETS, listBenchmarks, loadGlobalConfig, type KubeBenchTarget } from '../kube-bench/config';
import { DEFAULT_AUDIT_TIMEOUT_MS, resolveBenchmark, runKubeBench, type KubeBenchOptions } from '../kube-bench/run-benchmark';
import { defaultKubeBenchCfgDir } from '../kube-bench/task';
import { asUsage, renderReport, validateOutputOptions, type BenchCommandOutput, type BenchOutputOptions } from './bench-output';

/**
 * Options of `bulkhead bench node --benchmark <id> [--config DIR] [--root DIR] [--targets ...]
 * [--timeout SEC] [--skip ids] [--check ids] [--format F] [--exit-code N]`.
 */
export interface BenchNodeOptions extends BenchOutputOptions {
  /** `--benchmark cis-1.8`; or `--version 1.27` to map a Kubernetes version. */
  benchmark?: string;
  version?: string;
  /** `--config DIR`: kube-bench cfg folder (default $BULKHEAD_KUBE_BENCH_CFG or /etc/kube-bench/cfg). */
  config?: string;
  /** `--root DIR`: evaluate a node file system copied to DIR. */
  root?: string;
  /** `--targets master,node`: repeatable or comma-separated. */
  targets?: readonly string[] | string;
  /** `--timeout SEC`: per-audit timeout in seconds (default 10). */
  timeout?: number | string;
  skip?: readonly string[] | string;
  check?: readonly string[] | string;
  /** For tests: passed through to the runner. */
  runner?: Pick<KubeBenchOptions, 'processes' | 'nodeName' | 'runAudit'>;
}

/** `bench node` as a pure function (the CLI prints `output` and exits with `exitCode`). */
export async function runBenchNode(options: BenchNodeOptions): Promise<BenchCommandOutput> {
  validateOutputOptions(options);
  const targets = list(options.targets);
  const bad = targets.filter((t) => !(KUBE_BENCH_TARGETS as readonly string[]).includes(t));
  if (bad.length > 0) throw usageError(`--targets ${bad.join(',')}: expected some of ${KUBE_BENCH_TARGETS.join(', ')}`);
  const timeoutMs = parseTimeout(options.timeout);
  const cfgDir = options.config ?? defaultKubeBenchCfgDir();
  checkBenchmarkChoice(cfgDir, options);
  const run = await runKubeBench({
    cfgDir,
    ...(options.benchmark ? { benchmark: options.benchmark } : {}),
    ...(options.version ? { kubernetesVersion: options.version } : {}),
    ...(options.root ? { root: options.root } : {}),
    ...(targets.length > 0 ? { targets: targets as KubeBenchTarget[] } : {}),
    ...(list(options.skip).length > 0 ? { skip: list(options.skip) } : {}),
    ...(list(options.check).length > 0 ? { checks: list(options.check) } : {}),
    timeoutMs,
    ...(options.runner ?? {}),
  });
  return renderReport(run.report, options, {
    notes: run.notes,
    informationUri: 'https://github.com/aquasecurity/kube-bench',
    json: { benchmark: run.benchmark, targets: run.targets },
  });
}

/**
 * `--benchmark` / `--version` are command-line choices: an unknown benchmark id or a Kubernetes
 * version no benchmark maps to is a usage error (exit 2). A missing or broken cfg folder is not
 * (the runner reports it, exit 1).
 */
function checkBenchmarkChoice(cfgDir: string, options: BenchNodeOptions): void {
  if (!existsSync(cfgDir)) return;
  let globalValues;
  try {
    globalValues = loadGlobalConfig(cfgDir);
  } catch {
    return; // reported by the runner, as an input problem
  }
  const benchmark = asUsage(() =>
    resolveBenchmark(globalValues, { ...(options.benchmark ? { benchmark: options.benchmark } : {}), ...(options.version ? { kubernetesVersion: options.version } : {}) }),
  );
  const available = listBenchmarks(cfgDir);
  if (!available.includes(benchmark)) throw usageError(`--benchmark ${JSON.stringify(benchmark)} is not a benchmark of ${cfgDir} (available: ${available.join(', ')})`);
}

function parseTimeout(value: number | string | undefined): number {
  if (value === undefined) return DEFAULT_AUDIT_TIMEOUT_MS;
  const seconds = typeof value === 'number' ? value : Number(value);
  if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 600) throw usageError(`--timeout ${JSON.stringify(value)} must be a number of seconds from 0 to 600`);
  return Math.round(seconds * 1000);
}

function list(value: readonly string[] | string | undefined): string[] {
  if (value === undefined) return [];
  return (typeof value === 'string' ? [value] : [...value])
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter(Boolean);
}
