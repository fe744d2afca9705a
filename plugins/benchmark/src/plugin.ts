import { definePlugin, type BulkheadPlugin, type TaskDefinition } from '@bulkhead/plugin-sdk';
import { K8S_PROFILES, resolveProfile, type BenchmarkProfile, type BenchmarkTaskRequest } from './k8s/profiles';
import { k8sManifestsTask } from './k8s/task';
import { DOCKER_PROFILES } from './docker/profiles';
import { containerConfigTask, dockerfileTask, imageConfigTask } from './docker/tasks';
import { KUBE_BENCH_PROFILES } from './kube-bench/profiles';
import { kubeBenchTask } from './kube-bench/task';
import { watchClusterTask } from './cluster/watch-task';

/** Semver of the built-in benchmark plugin; part of every result cache key. */
export const BENCHMARK_PLUGIN_VERSION = '0.1.0';

/**
 * Every task of the benchmark plugin. Each area (Kubernetes manifests, kube-bench, CIS Docker)
 * adds its task with one line here; the task lives in its own folder.
 */
export const benchmarkTasks: readonly TaskDefinition[] = [
  k8sManifestsTask, // k8s manifests (PSS, RBAC, NetworkPolicy): src/k8s
  kubeBenchTask, // kube-bench control files on a node: src/kube-bench
  dockerfileTask, // CIS Docker: src/docker
  imageConfigTask,
  containerConfigTask,
  watchClusterTask, // live cluster inventory and checks: src/cluster
];

export const benchmarkPlugin: BulkheadPlugin = definePlugin({
  manifest: {
    id: 'bulkhead.benchmark',
    version: BENCHMARK_PLUGIN_VERSION,
    kind: 'benchmark',
    phases: ['run', 'build'],
    description: 'Configuration benchmarks: Kubernetes Pod Security Standards, RBAC and NetworkPolicy checks, kube-bench and CIS Docker',
  },
  tasks: benchmarkTasks,
});

/**
 * Named benchmark profiles (what `runBenchmark(target, profile)` offers), each mapped to a task of
 * this plugin. Each area adds its profiles with one line here.
 */
export const benchmarkProfiles: Readonly<Record<string, BenchmarkProfile>> = {
  ...K8S_PROFILES, // pss-baseline, pss-restricted (optionally @v1.N), k8s-rbac, k8s-netpol, k8s-manifests
  ...KUBE_BENCH_PROFILES, // kube-bench[@<benchmark id>]: src/kube-bench
  ...DOCKER_PROFILES, // cis-docker-image, cis-docker-container, dockerfile: src/docker
};

/**
 * The task (type and input) that runs `profile` against `target`, e.g.
 * `benchmarkTaskFor('deploy/', 'pss-restricted@v1.30')`. Unknown profiles are a BadInputError
 * that lists the available ones.
 */
export function benchmarkTaskFor(target: string, profile: string): BenchmarkTaskRequest {
  return resolveProfile(benchmarkProfiles, target, profile);
}
