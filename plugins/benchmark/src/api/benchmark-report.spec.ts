import { benchmarkReport, type BenchmarkCheckResult } from '../report';
import { reportOfResult, toControl, toSummary } from './benchmark-report';

const results: BenchmarkCheckResult[] = [
  { checkId: 'privileged', title: 'Privileged Containers', status: 'FAIL', severity: 'HIGH', target: 'Pod/ns/a', message: 'privileged', remediation: 'unset it', benchmark: 'pss-restricted', file: 'a.yaml', line: 3 },
  { checkId: 'hostPorts', title: 'Host Ports', status: 'PASS', severity: 'INFO', target: 'Pod/ns/a', message: 'ok' },
];
const report = benchmarkReport('Kubernetes manifests', results);

describe('benchmark reports in task results', () => {
  it('finds the report returned bare (CIS Docker tasks) or under `report` (k8s-manifests, kube-bench)', () => {
    expect(reportOfResult(report)).toBe(report);
    expect(reportOfResult({ report, files: 1 })).toBe(report);
    expect(reportOfResult({ digest: 'sha256:x' })).toBeNull();
    expect(reportOfResult(null)).toBeNull();
  });

  it('maps summary and controls', () => {
    expect(toSummary(report)).toEqual({ pass: 1, fail: 1, warn: 0, info: 0, skip: 0, total: 2 });
    expect(results.map(toControl)).toEqual([
      { id: 'privileged', title: 'Privileged Containers', status: 'FAIL', severity: 'HIGH', target: 'Pod/ns/a', message: 'privileged', remediation: 'unset it', benchmark: 'pss-restricted', file: 'a.yaml', line: 3 },
      { id: 'hostPorts', title: 'Host Ports', status: 'PASS', severity: 'INFO', target: 'Pod/ns/a', message: 'ok', remediation: null, benchmark: null, file: null, line: null },
    ]);
  });
});
