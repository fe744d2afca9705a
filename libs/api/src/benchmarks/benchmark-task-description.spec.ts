import { benchmarkPlugin, benchmarkTaskFor } from '@bulkhead/plugin-benchmark';
import { parseTaskInput, PluginRegistry } from '@bulkhead/plugin-sdk';
import { describeBenchmarkTask } from './benchmark-task-description';

const registry = new PluginRegistry([benchmarkPlugin]);

/** What the submitter stores: the task type and the validated input. */
function stored(target: string, profile: string): { type: string; input: unknown } {
  const request = benchmarkTaskFor(target, profile);
  return { type: request.type, input: parseTaskInput(registry.requireTask('benchmark', request.type).definition, request.input) };
}

describe('describeBenchmarkTask', () => {
  it.each([
    ['deploy/', 'pss-restricted'],
    ['deploy/', 'pss-baseline'],
    ['deploy/app.yaml', 'pss-baseline@v1.30'],
    ['deploy/', 'k8s-rbac'],
    ['deploy/', 'k8s-netpol'],
    ['deploy/', 'k8s-manifests'],
    ['deploy/', 'k8s-manifests@restricted'],
    ['/', 'kube-bench@cis-1.8'],
    ['/host', 'kube-bench@cis-1.8'],
    ['registry.example/app:1.0', 'cis-docker-image'],
    ['inspect.json', 'cis-docker-container'],
    ['Dockerfile', 'dockerfile'],
  ])('recovers target %s and profile %s from the stored task', (target, profile) => {
    const task = stored(target, profile);
    expect(describeBenchmarkTask(registry, task.type, task.input)).toEqual({ profile, target });
  });

  it('names no profile for an input no profile produces, but still the target', () => {
    const input = parseTaskInput(registry.requireTask('benchmark', 'k8s-manifests').definition, { paths: ['a/', 'b/'], checks: ['pss', 'rbac'] });
    expect(describeBenchmarkTask(registry, 'k8s-manifests', input)).toEqual({ profile: null, target: null });
    const single = parseTaskInput(registry.requireTask('benchmark', 'k8s-manifests').definition, { paths: ['a/'], checks: ['pss', 'rbac'] });
    expect(describeBenchmarkTask(registry, 'k8s-manifests', single)).toEqual({ profile: null, target: 'a/' });
  });

  it('names nothing for a task type the registry does not know', () => {
    expect(describeBenchmarkTask(new PluginRegistry(), 'k8s-manifests', { paths: ['x'] })).toEqual({ profile: null, target: 'x' });
  });
});
