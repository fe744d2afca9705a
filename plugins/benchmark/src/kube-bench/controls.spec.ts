import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { BadInputError } from '@bulkhead/plugin-sdk';
import { describeWithShared } from '@bulkhead/testing';
import { loadKubeBenchConfig, listBenchmarks, targetsOfBenchmark, benchmarkForKubernetesVersion, loadGlobalConfig } from './config';
import { parseControls } from './controls';

function controlFiles(cfgDir: string): string[] {
  return listBenchmarks(cfgDir).flatMap((b) =>
    readdirSync(path.join(cfgDir, b))
      .filter((f) => f.endsWith('.yaml') && f !== 'config.yaml')
      .map((f) => path.join(b, f)),
  );
}

describeWithShared('kube-bench control files', (shared) => {
  const cfgDir = path.join(shared, 'peers/kube-bench/cfg');

  it('loads every control file of every benchmark unchanged', () => {
    const files = controlFiles(cfgDir);
    // Pinned by ../shared/peers/kube-bench/SOURCE.md (commit a73ce37).
    expect(files.length).toBe(229);
    let checks = 0;
    for (const file of files) {
      // A parse error names the file, so a failure here says which one.
      const controls = parseControls(readFileSync(path.join(cfgDir, file), 'utf8'), file);
      expect({ file, type: controls.type }).toEqual({ file, type: path.basename(file, '.yaml') });
      for (const group of controls.groups) {
        for (const check of group.checks) {
          expect({ file, id: check.id || '(empty)' }).not.toEqual({ file, id: '(empty)' });
          checks++;
        }
      }
    }
    expect(checks).toBe(4860);
  });

  it('loads every benchmark config (global config.yaml merged with the benchmark one)', () => {
    for (const benchmark of listBenchmarks(cfgDir)) {
      const config = loadKubeBenchConfig(cfgDir, benchmark);
      expect(targetsOfBenchmark(config.values, benchmark).length).toBeGreaterThan(0);
      expect(statSync(path.join(cfgDir, benchmark)).isDirectory()).toBe(true);
    }
  });

  it('merges the benchmark config over the global one', () => {
    const k3s = loadKubeBenchConfig(cfgDir, 'k3s-cis-1.8').values as Record<string, Record<string, Record<string, unknown>>>;
    expect(k3s['master']?.['apiserver']?.['bins']).toEqual(['containerd']);
    // Keys the benchmark does not override survive the merge.
    expect(k3s['master']?.['apiserver']?.['defaultconf']).toBe('/etc/kubernetes/manifests/kube-apiserver.yaml');
  });

  it('maps Kubernetes versions to benchmarks, stepping down minor versions', () => {
    const values = loadGlobalConfig(cfgDir);
    expect(benchmarkForKubernetesVersion(values, '1.26')).toBe('cis-1.8');
    expect(benchmarkForKubernetesVersion(values, 'v1.27.3')).toBe('cis-1.9');
    expect(benchmarkForKubernetesVersion(values, '1.99')).toBe('cis-1.12');
    expect(benchmarkForKubernetesVersion(values, 'eks-1.5.0')).toBe('eks-1.5.0');
    expect(() => benchmarkForKubernetesVersion(values, '1.1')).toThrow(BadInputError);
  });

  it('names an unknown benchmark and lists the available ones', () => {
    expect(() => loadKubeBenchConfig(cfgDir, 'cis-9.9')).toThrow(/unknown benchmark "cis-9.9".*available: .*cis-1.8/);
  });
});

describe('parseControls', () => {
  it('keeps scalars as written (ids like 1.10, octal-looking values) and defaults set to true', () => {
    const controls = parseControls(
      [
        'id: 1',
        'type: "node"',
        'groups:',
        '  - id: 1.10',
        '    checks:',
        '      - id: 1.1.10',
        '        scored: true',
        '        tests:',
        '          test_items:',
        '            - flag: permissions',
        '              compare: { op: bitmask, value: 0600 }',
      ].join('\n'),
      'x.yaml',
    );
    const check = controls.groups[0]?.checks[0];
    expect(controls.groups[0]?.id).toBe('1.10');
    expect(check?.id).toBe('1.1.10');
    expect(check?.tests?.testItems[0]).toEqual({ flag: 'permissions', env: '', path: '', set: true, compare: { op: 'bitmask', value: '0600' } });
    expect(check?.scored).toBe(true);
  });

  it('distinguishes an absent tests: (null) from an empty one', () => {
    const controls = parseControls('type: node\ngroups:\n  - id: 1\n    checks:\n      - id: a\n      - id: b\n        tests: {}\n', 'x.yaml');
    expect(controls.groups[0]?.checks.map((c) => c.tests)).toEqual([null, { binOp: '', testItems: [] }]);
  });

  it('names the file and field of a problem, and the line of a syntax error', () => {
    expect(() => parseControls('type: node\ngroups:\n  - id: 1\n    checks: nope\n', 'cis-x/node.yaml')).toThrow('cis-x/node.yaml: groups[0].checks: expected a list');
    expect(() => parseControls('groups: [\n', 'bad.yaml')).toThrow(/^bad.yaml:\d+: invalid YAML/);
    expect(() =>
      parseControls('type: node\ngroups:\n  - id: 1\n    checks:\n      - id: a\n        scored: maybe\n', 'n.yaml'),
    ).toThrow('n.yaml: groups[0].checks[0].scored: expected true or false, got "maybe"');
  });
});
