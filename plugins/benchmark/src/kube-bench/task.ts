import { defineTask } from '@bulkhead/plugin-sdk';
import { z } from 'zod';
import { toFindings } from '../report/findings';
import { KUBE_BENCH_TARGETS } from './config';
import { DEFAULT_AUDIT_TIMEOUT_MS, DEFAULT_KUBE_BENCH_CFG_DIR, runKubeBench, type KubeBenchRun } from './run-benchmark';

export const KUBE_BENCH_TASK = 'kube-bench';

/**
 * Input of `kube-bench`. Give `benchmark` (`cis-1.8`) or `kubernetesVersion` (`1.27`).
 * `cfgDir` is a kube-bench cfg folder (default: $BULKHEAD_KUBE_BENCH_CFG or /etc/kube-bench/cfg);
 * its control files run shell commands as this process: only point it at trusted files. A server
 * refuses `cfgDir` from clients (its operator's BULKHEAD_KUBE_BENCH_CFG is used) and runs this
 * task only with BULKHEAD_ENABLE_NODE_BENCHMARKS=true.
 */
export const kubeBenchInput = z
  .object({
    benchmark: z.string().regex(/^[A-Za-z0-9._-]+$/, 'expected a benchmark id such as cis-1.8').optional(),
    kubernetesVersion: z.string().regex(/^v?\d+\.\d+/, 'expected a version such as 1.27').optional(),
    cfgDir: z.string().min(1).optional(),
    root: z
      .string()
      .min(1)
      .refine((r) => !/[\0\n\r]/.test(r), 'a root folder must not contain NUL or line breaks')
      .optional(),
    targets: z.array(z.enum(KUBE_BENCH_TARGETS)).optional(),
    timeoutMs: z.number().int().positive().max(600_000).default(DEFAULT_AUDIT_TIMEOUT_MS),
    skip: z.array(z.string().min(1)).optional(),
    checks: z.array(z.string().min(1)).optional(),
    nodeName: z.string().min(1).optional(),
  })
  .refine((i) => (i.benchmark === undefined) !== (i.kubernetesVersion === undefined), { message: 'give exactly one of benchmark and kubernetesVersion' });
export type KubeBenchInput = z.input<typeof kubeBenchInput>;

export function defaultKubeBenchCfgDir(): string {
  return process.env['BULKHEAD_KUBE_BENCH_CFG'] ?? DEFAULT_KUBE_BENCH_CFG_DIR;
}

/** Runs kube-bench control files against this node (or a copied root file system). */
export const kubeBenchTask = defineTask({
  type: KUBE_BENCH_TASK,
  description: 'Run kube-bench CIS Kubernetes Benchmark control files against a node or a copied node root file system',
  input: kubeBenchInput,
  // On a server: only where the operator turned node benchmarks on; the control files (shell
  // audits) only from the operator's folder; a copied node root only under the allowed paths.
  serverInputs: (input) => ({
    requiresSetting: 'BULKHEAD_ENABLE_NODE_BENCHMARKS',
    trustedFields: input.cfgDir !== undefined ? ['cfgDir'] : [],
    paths: input.root !== undefined ? [{ field: 'root', path: input.root }] : [],
  }),
  async run(input, ctx): Promise<KubeBenchRun> {
    ctx.progress(0, 'running kube-bench controls');
    const run = await runKubeBench({
      cfgDir: input.cfgDir ?? defaultKubeBenchCfgDir(),
      ...(input.benchmark ? { benchmark: input.benchmark } : {}),
      ...(input.kubernetesVersion ? { kubernetesVersion: input.kubernetesVersion } : {}),
      ...(input.root ? { root: input.root } : {}),
      ...(input.targets ? { targets: input.targets } : {}),
      ...(input.skip ? { skip: input.skip } : {}),
      ...(input.checks ? { checks: input.checks } : {}),
      ...(input.nodeName ? { nodeName: input.nodeName } : {}),
      timeoutMs: input.timeoutMs,
      signal: ctx.signal,
      logger: ctx.logger,
    });
    for (const note of run.notes) ctx.logger.warn({ benchmark: run.benchmark }, note);
    await ctx.emit.findings(toFindings(run.report.results));
    ctx.progress(1, `${run.report.summary.FAIL} failed, ${run.report.summary.WARN} warnings`);
    return run;
  },
});
