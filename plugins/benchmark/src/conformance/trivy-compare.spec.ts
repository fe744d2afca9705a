import type { ManifestObject } from '../k8s/load';
import type { BenchmarkCheckResult } from '../report/model';
import { attachObjects, compareWithTrivy, objectInMessage, trivyFailures, trivyMapping, type ArguedRule } from './trivy-compare';

const ROOT = '/corpus';

function object(kind: string, name: string, file: string, line: number, spec: Record<string, unknown> = {}): ManifestObject {
  return { kind, apiVersion: 'v1', namespace: 'default', name, file: `${ROOT}/${file}`, line, object: { kind, metadata: { name }, spec } };
}

function result(checkId: string, target: string, file: string, status: BenchmarkCheckResult['status'] = 'FAIL'): BenchmarkCheckResult {
  return { checkId, title: checkId, status, severity: 'HIGH', target, message: '', file: `${ROOT}/${file}` };
}

const TRIVY_REPORT = {
  Results: [
    {
      Target: 'k8s/app.yaml',
      Misconfigurations: [
        { ID: 'KSV017', Status: 'FAIL', Message: "Container 'web' of Deployment 'web' should set 'securityContext.privileged' to false", CauseMetadata: { StartLine: 12 } },
        { ID: 'KSV044', Status: 'FAIL', Message: 'Role permits wildcard verb on wildcard resource', CauseMetadata: { StartLine: 30 } },
        { ID: 'KSV116', Status: 'FAIL', Message: 'service web in default namespace should set spec.securityContext.runAsGroup' },
        { ID: 'KSV014', Status: 'PASS', Message: 'ignored' },
        { ID: 'KSV020', Status: 'FAIL', Message: "Container 'web' of Deployment 'web' should set 'securityContext.runAsUser' > 10000", CauseMetadata: { StartLine: 12 } },
      ],
    },
    { Target: 'docker/Dockerfile', Misconfigurations: [{ ID: 'DS004', Status: 'FAIL', Message: 'Port 22 should not be exposed', CauseMetadata: { StartLine: 3 } }] },
    { Target: 'other', Misconfigurations: null },
  ],
};

const OBJECTS = [
  object('Deployment', 'web', 'k8s/app.yaml', 1, { template: { spec: { containers: [{ name: 'web' }] } } }),
  object('ClusterRole', 'ops', 'k8s/app.yaml', 25),
  object('Service', 'web', 'k8s/app.yaml', 40),
];

const ARGUED: ArguedRule[] = [{ trivy: 'KSV116', when: 'not-a-workload', reason: 'a Service has no pod', contradicts: 'core/v1' }];

describe('Trivy comparison', () => {
  it('reads FAIL misconfigurations and finds the object each is about', () => {
    const failures = attachObjects(trivyFailures(TRIVY_REPORT), OBJECTS, ROOT);
    expect(failures.map((f) => [f.id, f.file, f.object ?? null])).toEqual([
      ['KSV017', 'k8s/app.yaml', 'deployment/web'],
      ['KSV044', 'k8s/app.yaml', 'clusterrole/ops'], // by its line: the document starting at 25 holds line 30
      ['KSV116', 'k8s/app.yaml', 'service/web'],
      ['KSV020', 'k8s/app.yaml', 'deployment/web'],
      ['DS004', 'docker/Dockerfile', null],
    ]);
    expect(objectInMessage("Role 'deployer' should not have access")).toBe('role/deployer');
    expect(objectInMessage('container shell of pod debug in kube-system namespace should specify a seccomp profile')).toBe('pod/debug');
    expect(objectInMessage('Add HEALTHCHECK instruction in your Dockerfile')).toBeUndefined();
  });

  it('matches on the same file and object only, argues listed cases, and reports the rest', () => {
    const failures = attachObjects(trivyFailures(TRIVY_REPORT), OBJECTS, ROOT);
    const results = [
      result('privileged', 'Deployment/default/web', 'k8s/app.yaml'),
      result('5.1.3', 'ClusterRole/ops', 'k8s/app.yaml'),
      // The right check on the wrong object does not count.
      result('run-as-high-uid', 'Deployment/default/other', 'k8s/app.yaml'),
      result('DS004', 'docker/Dockerfile', 'docker/Dockerfile', 'INFO'),
    ];
    const c = compareWithTrivy(failures, results, OBJECTS, ROOT, ARGUED);
    expect(c.rows.map((r) => [r.failure.id, r.outcome, r.by ?? null])).toEqual([
      ['KSV017', 'matched', 'privileged'],
      ['KSV044', 'matched', '5.1.3'],
      ['KSV116', 'argued', 'a Service has no pod'],
      ['KSV020', 'unmatched', null],
      ['DS004', 'matched', 'DS004 (INFO)'],
    ]);
    expect([c.raised, c.matched, c.matchedInfo, c.argued, c.unmatched.length]).toEqual([5, 3, 1, 1, 1]);
    expect(c.ids).toEqual({ raised: 5, covered: 4 });
  });

  it('does not argue a case whose condition does not hold', () => {
    const failures = attachObjects(trivyFailures(TRIVY_REPORT), OBJECTS, ROOT).filter((f) => f.id === 'KSV116');
    const onWorkload = failures.map((f) => ({ ...f, object: 'deployment/web' }));
    expect(compareWithTrivy(onWorkload, [], OBJECTS, ROOT, ARGUED).rows[0]?.outcome).toBe('unmatched');
  });

  it('maps Trivy and AVD ids from the cross-references, plus extra equivalents', () => {
    const map = trivyMapping({ KSV022: ['capabilities_restricted'] });
    expect(map.get('KSV017')).toContain('privileged');
    expect(map.get('AVD-KSV-0017')).toContain('privileged');
    expect(map.get('KSV022')).toEqual(expect.arrayContaining(['capabilities_baseline', 'capabilities_restricted']));
  });
});
