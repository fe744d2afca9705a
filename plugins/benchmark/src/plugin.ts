import { definePlugin, type BulkheadPlugin, type TaskDefinition } from '@bulkhead/plugin-sdk';

/** Semver of the built-in benchmark plugin; part of every result cache key. */
export const BENCHMARK_PLUGIN_VERSION = '0.1.0';

/**
 * Every task of the benchmark plugin. Each area (Kubernetes manifests, kube-bench, CIS Docker)
 * adds its task with one line here; the task lives in its own folder.
 */
export const benchmarkTasks: readonly TaskDefinition[] = [
  // k8s manifests (PSS, RBAC, NetworkPolicy): src/k8s
  // kube-bench: src/kube-bench
  // CIS Docker: src/docker
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
