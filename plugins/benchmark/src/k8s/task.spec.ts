import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BadInputError, parseTaskInput, PluginRegistry, silentLogger, TaskInputError, type FindingResult, type TaskContext } from '@bulkhead/plugin-sdk';
import { benchmarkPlugin, benchmarkTaskFor } from '../plugin';
import { parseManifestText, type LoadedManifests } from './load';
import { k8sManifestsTask } from './task';

const LIST = `apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Pod
  metadata: { name: a, namespace: x }
  spec:
    hostNetwork: true
    containers: [{ name: c, image: i }]
- apiVersion: batch/v1
  kind: CronJob
  metadata: { name: nightly, namespace: x }
  spec:
    jobTemplate:
      spec:
        template:
          spec:
            containers: [{ name: job, image: i, ports: [{ containerPort: 80, hostPort: 8080 }] }]
`;

function context(findings: FindingResult[]): TaskContext {
  return {
    taskId: 't1',
    logger: silentLogger,
    signal: new AbortController().signal,
    workDir: tmpdir(),
    emit: {
      artifact: async () => undefined,
      packages: async () => undefined,
      findings: async (f) => void findings.push(...f),
    },
    progress: () => undefined,
    extensions: () => [],
  };
}

describe('manifest loading', () => {
  it('expands kind: List with each item on its own line', () => {
    const loaded: LoadedManifests = { objects: [], errors: [], files: [] };
    parseManifestText(LIST, 'list.yaml', loaded);
    expect(loaded.errors).toEqual([]);
    expect(loaded.objects.map((o) => [o.kind, o.name, o.line])).toEqual([
      ['Pod', 'a', 4],
      ['CronJob', 'nightly', 10],
    ]);
  });

  it('names the file and line of a document that is not an object, and keeps the others', () => {
    const loaded: LoadedManifests = { objects: [], errors: [], files: [] };
    parseManifestText('kind: ConfigMap\nmetadata: {name: a}\n---\n- just\n- a list\n---\nkind: Secret\nmetadata: {name: b}\n', 'm.yaml', loaded);
    expect(loaded.objects.map((o) => o.name)).toEqual(['a', 'b']);
    expect(loaded.errors).toEqual([{ file: 'm.yaml', line: 4, message: 'm.yaml:4: document is not a Kubernetes object (expected a mapping with kind)' }]);
  });
});

describe('k8s-manifests task', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'k8s-task-'));
    writeFileSync(path.join(dir, 'list.yaml'), LIST);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('evaluates workloads, emits benchmark findings and returns the result', async () => {
    const findings: FindingResult[] = [];
    const input = parseTaskInput(k8sManifestsTask, { paths: [dir], pss: { level: 'baseline' }, checks: ['pss'] });
    const result = await k8sManifestsTask.run(input, context(findings));
    expect(result.pss?.results.map((r) => [r.kind, r.name, r.pss.violations.map((v) => v.check)])).toEqual([
      ['Pod', 'a', ['hostNamespaces']],
      ['CronJob', 'nightly', ['hostPorts']],
    ]);
    expect(findings.map((f) => [f.kind, f.ruleId, f.target])).toEqual([
      ['benchmark', 'hostNamespaces', 'Pod/x/a'],
      ['benchmark', 'hostPorts', 'CronJob/x/nightly'],
    ]);
    expect(JSON.parse(JSON.stringify(result))).toEqual(result);
  });

  it('rejects bad input before running', () => {
    expect(() => parseTaskInput(k8sManifestsTask, { paths: [] })).toThrow(TaskInputError);
    expect(() => parseTaskInput(k8sManifestsTask, { paths: ['x'], pss: { level: 'baseline', version: '1.2' } })).toThrow(/pss.version/);
    expect(() => parseTaskInput(k8sManifestsTask, { paths: ['x'], checks: ['cis'] })).toThrow(/checks/);
  });
});

describe('benchmark plugin', () => {
  it('registers as bulkhead.benchmark with the k8s-manifests task', () => {
    const registry = new PluginRegistry([benchmarkPlugin]);
    expect(benchmarkPlugin.manifest).toMatchObject({ id: 'bulkhead.benchmark', kind: 'benchmark', phases: ['run', 'build'] });
    expect(registry.requireTask('benchmark', 'k8s-manifests').definition).toBe(k8sManifestsTask);
  });

  it('maps profiles to tasks', () => {
    expect(benchmarkTaskFor('deploy/', 'pss-restricted')).toEqual({
      type: 'k8s-manifests',
      input: { paths: ['deploy/'], checks: ['pss'], pss: { level: 'restricted', version: 'latest' } },
    });
    expect(benchmarkTaskFor('deploy/', 'pss-baseline@v1.30').input).toMatchObject({ pss: { level: 'baseline', version: 'v1.30' } });
    expect(benchmarkTaskFor('deploy/', 'k8s-rbac')).toEqual({ type: 'k8s-manifests', input: { paths: ['deploy/'], checks: ['rbac'] } });
    expect(benchmarkTaskFor('deploy/', 'k8s-netpol').input).toEqual({ paths: ['deploy/'], checks: ['netpol'] });
    for (const profile of ['pss-baseline', 'pss-restricted', 'k8s-rbac', 'k8s-netpol', 'k8s-manifests']) {
      const request = benchmarkTaskFor('deploy/', profile);
      expect(() => parseTaskInput(new PluginRegistry([benchmarkPlugin]).requireTask('benchmark', request.type).definition, request.input)).not.toThrow();
    }
    expect(() => benchmarkTaskFor('deploy/', 'pss-strict')).toThrow(BadInputError);
    expect(() => benchmarkTaskFor('deploy/', 'pss-strict')).toThrow(/available: .*pss-restricted/);
    expect(() => benchmarkTaskFor('deploy/', 'pss-baseline@1.30')).toThrow(/version "1.30"/);
  });
});
