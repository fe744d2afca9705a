import { BadInputError } from '@bulkhead/plugin-sdk';
import { parsePssVersion } from '../pss/evaluator';
import { K8S_MANIFESTS_TASK, type K8sManifestsInput } from './task';

/** What a named benchmark profile runs: a task type of the benchmark plugin and its input. */
export interface BenchmarkTaskRequest {
  type: string;
  input: unknown;
}

/** Maps a target and an optional profile variant (the part after `@`) to a task request. */
export type BenchmarkProfile = (target: string, variant?: string) => BenchmarkTaskRequest;

function k8s(input: Omit<K8sManifestsInput, 'paths'>, target: string): BenchmarkTaskRequest {
  return { type: K8S_MANIFESTS_TASK, input: { paths: [target], ...input } satisfies K8sManifestsInput };
}

function pssVersion(variant: string | undefined): string {
  const version = variant ?? 'latest';
  parsePssVersion(version); // throws a BadInputError naming the bad version
  return version;
}

/**
 * Profiles of the Kubernetes manifest checks. The target is a manifest file or directory.
 * `pss-baseline` / `pss-restricted` take an optional version: `pss-restricted@v1.30`.
 */
export const K8S_PROFILES: Readonly<Record<string, BenchmarkProfile>> = {
  'pss-baseline': (target, variant) => k8s({ checks: ['pss'], pss: { level: 'baseline', version: pssVersion(variant) } }, target),
  'pss-restricted': (target, variant) => k8s({ checks: ['pss'], pss: { level: 'restricted', version: pssVersion(variant) } }, target),
  'k8s-rbac': (target) => k8s({ checks: ['rbac'] }, target),
  'k8s-netpol': (target) => k8s({ checks: ['netpol'] }, target),
  'k8s-workload': (target) => k8s({ checks: ['workload'] }, target),
  'k8s-manifests': (target, variant) =>
    k8s({ checks: ['pss', 'rbac', 'netpol', 'workload'], pss: { level: variant === 'restricted' ? 'restricted' : 'baseline', version: 'latest' } }, target),
};

/** Resolves `name` or `name@variant` against a profile table; unknown names list what exists. */
export function resolveProfile(profiles: Readonly<Record<string, BenchmarkProfile>>, target: string, profile: string): BenchmarkTaskRequest {
  if (!target) throw new BadInputError('benchmark target is empty');
  const at = profile.indexOf('@');
  const name = at < 0 ? profile : profile.slice(0, at);
  const variant = at < 0 ? undefined : profile.slice(at + 1);
  const mapper = Object.prototype.hasOwnProperty.call(profiles, name) ? profiles[name] : undefined;
  if (!mapper) throw new BadInputError(`unknown benchmark profile ${JSON.stringify(profile)} (available: ${Object.keys(profiles).sort().join(', ')})`);
  return mapper(target, variant);
}
