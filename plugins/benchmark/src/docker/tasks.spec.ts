import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseTaskInput, PluginRegistry, silentLogger, TaskInputError, type FindingResult, type TaskContext } from '@bulkhead/plugin-sdk';
import { benchmarkPlugin, benchmarkTaskFor } from '../plugin';
import type { BenchmarkReport } from '../report';

function context(findings: FindingResult[]): TaskContext {
  return {
    taskId: 't1',
    logger: silentLogger,
    signal: new AbortController().signal,
    workDir: tmpdir(),
    emit: { artifact: async () => undefined, packages: async () => undefined, findings: async (f) => void findings.push(...f) },
    progress: () => undefined,
    extensions: () => [],
  };
}

describe('benchmark plugin: kube-bench and CIS Docker tasks', () => {
  const registry = new PluginRegistry([benchmarkPlugin]);
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'bh-docker-task-'));
    writeFileSync(path.join(dir, 'Dockerfile'), 'FROM alpine:3.20\nRUN apk add curl\nUSER root\n');
    writeFileSync(path.join(dir, 'inspect.json'), JSON.stringify({ Name: '/db', HostConfig: { PidMode: 'host' }, Config: {} }));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('registers the tasks', () => {
    for (const type of ['kube-bench', 'dockerfile', 'image-config', 'container-config']) expect(registry.findTask('benchmark', type)).toBeDefined();
  });

  it('dockerfile task emits FAIL and WARN results as findings', async () => {
    const { definition } = registry.requireTask('benchmark', 'dockerfile');
    const findings: FindingResult[] = [];
    const report = (await definition.run(parseTaskInput(definition, { path: path.join(dir, 'Dockerfile') }), context(findings))) as BenchmarkReport;
    expect(findings.map((f) => f.ruleId).sort()).toEqual(['DL3002', 'DL3018']); // CIS-DI-0001 is the same problem as DL3002: one finding
    expect(findings.every((f) => f.kind === 'benchmark' && f.location?.includes('Dockerfile'))).toBe(true);
    expect(report.summary.INFO).toBe(2); // DL3019 and CIS-DI-0006 are informational
  });

  it('dockerfile task refuses a file that is not a Dockerfile, as the CLI does, and names a missing one in words', async () => {
    const { definition } = registry.requireTask('benchmark', 'dockerfile');
    const run = (file: string) => definition.run(parseTaskInput(definition, { path: file }), context([]));
    writeFileSync(path.join(dir, 'deploy.yaml'), 'apiVersion: v1\nkind: Pod\n');
    writeFileSync(path.join(dir, 'empty'), '');
    await expect(run(path.join(dir, 'deploy.yaml'))).rejects.toThrow(/deploy\.yaml:1: not a Dockerfile: "apiVersion:" is not a Dockerfile instruction/i);
    await expect(run(path.join(dir, 'empty'))).rejects.toThrow(/empty: not a Dockerfile: the file is empty/);
    await expect(run(path.join(dir, 'missing'))).rejects.toThrow(/cannot read Dockerfile \S*missing: no such file or directory$/);
  });

  it('container-config task checks docker inspect output', async () => {
    const { definition } = registry.requireTask('benchmark', 'container-config');
    const findings: FindingResult[] = [];
    await definition.run(parseTaskInput(definition, { path: path.join(dir, 'inspect.json') }), context(findings));
    expect(findings.find((f) => f.ruleId === '5.15')).toMatchObject({ target: 'db', severity: 'HIGH' });
  });

  it('validates inputs', () => {
    const kubeBench = registry.requireTask('benchmark', 'kube-bench').definition;
    expect(() => parseTaskInput(kubeBench, {})).toThrow(TaskInputError);
    expect(() => parseTaskInput(kubeBench, { benchmark: 'cis-1.8', kubernetesVersion: '1.27' })).toThrow(/exactly one of benchmark and kubernetesVersion/);
    expect(parseTaskInput(kubeBench, { benchmark: 'cis-1.8', targets: ['node'] })).toMatchObject({ timeoutMs: 10000 });
    expect(() => parseTaskInput(kubeBench, { benchmark: 'cis-1.8', targets: ['worker'] })).toThrow(/targets.0/);
    const image = registry.requireTask('benchmark', 'image-config').definition;
    expect(() => parseTaskInput(image, {})).toThrow(/exactly one of reference and configPath/);
  });

  it('offers profiles for the new tasks', () => {
    expect(benchmarkTaskFor('docker-archive:/x.tar', 'cis-docker-image')).toEqual({ type: 'image-config', input: { reference: 'docker-archive:/x.tar' } });
    expect(benchmarkTaskFor('/mnt/node', 'kube-bench@cis-1.8')).toEqual({ type: 'kube-bench', input: { benchmark: 'cis-1.8', root: '/mnt/node' } });
    expect(benchmarkTaskFor('/', 'kube-bench@cis-1.9')).toEqual({ type: 'kube-bench', input: { benchmark: 'cis-1.9' } });
  });
});
