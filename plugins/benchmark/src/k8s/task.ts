import { defineTask } from '@bulkhead/plugin-sdk';
import { z } from 'zod';
import { toFindings } from '../report/findings';
import { evaluateManifests, K8S_CHECK_GROUPS, type K8sManifestsResult } from './evaluate';
import { loadManifests } from './load';

export const K8S_MANIFESTS_TASK = 'k8s-manifests';

/**
 * Input of `k8s-manifests`:
 * - `paths`: manifest files and directories (searched recursively for .yaml/.yml/.json);
 * - `pss`: Pod Security Standards level (`baseline` | `restricted`) and version (`latest` or
 *   `v1.N`, default `latest`); default baseline:latest;
 * - `checks`: which groups run (`pss`, `rbac`, `netpol`, `workload`); default all.
 */
export const k8sManifestsInput = z.object({
  paths: z.array(z.string().min(1)).min(1),
  pss: z
    .object({
      level: z.enum(['baseline', 'restricted']),
      version: z
        .string()
        .regex(/^(latest|v1\.(0|[1-9]\d*))$/, 'expected "latest" or "v1.<minor>"')
        .default('latest'),
    })
    .optional(),
  checks: z.array(z.enum(K8S_CHECK_GROUPS)).min(1).optional(),
});
export type K8sManifestsInput = z.input<typeof k8sManifestsInput>;

/**
 * Evaluates Kubernetes manifests: Pod Security Standards per workload, RBAC (CIS 5.1.x) and
 * NetworkPolicy isolation. Emits FAIL and WARN results as findings (kind `benchmark`) and returns
 * the full result (normalised report, per-workload PSS outcome, skipped objects, parse errors).
 */
export const k8sManifestsTask = defineTask({
  type: K8S_MANIFESTS_TASK,
  description: 'Evaluate Kubernetes manifests: Pod Security Standards, RBAC (CIS 5.1) and NetworkPolicy isolation',
  input: k8sManifestsInput,
  serverInputs: (input) => ({ paths: input.paths.map((p, i) => ({ field: `paths.${i}`, path: p })) }),
  async run(input, ctx): Promise<K8sManifestsResult> {
    ctx.progress(0, 'loading manifests');
    const loaded = await loadManifests(input.paths);
    ctx.signal.throwIfAborted();
    for (const error of loaded.errors) ctx.logger.warn({ file: error.file, line: error.line }, error.message);
    ctx.progress(0.5, `evaluating ${loaded.objects.length} objects from ${loaded.files.length} files`);
    const result = evaluateManifests(loaded, { pss: input.pss, checks: input.checks });
    await ctx.emit.findings(toFindings(result.report.results));
    ctx.progress(1, `${result.report.summary.FAIL} failed, ${result.report.summary.WARN} warnings`);
    return result;
  },
});
