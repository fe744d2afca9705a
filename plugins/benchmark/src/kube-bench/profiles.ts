import type { BenchmarkProfile } from '../k8s/profiles';
import { KUBE_BENCH_TASK, type KubeBenchInput } from './task';

/**
 * `kube-bench@cis-1.8` runs that benchmark on the node whose root file system is the target
 * (`/` for the node the worker runs on); without a variant the benchmark is required elsewhere,
 * so the variant is mandatory in practice and a missing one fails input validation.
 */
export const KUBE_BENCH_PROFILES: Readonly<Record<string, BenchmarkProfile>> = {
  'kube-bench': (target, variant) => ({
    type: KUBE_BENCH_TASK,
    input: { ...(variant ? { benchmark: variant } : {}), ...(target !== '/' ? { root: target } : {}) } satisfies KubeBenchInput,
  }),
};
