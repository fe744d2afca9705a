import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BadInputError } from '@bulkhead/plugin-sdk';
import { runBenchK8s } from './k8s-command';
import { WORKLOAD_CHECKS } from '../workload/workload';

const PRIVILEGED_DEPLOYMENT = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  template:
    metadata:
      labels: { app: web }
    spec:
      containers:
      - name: web
        image: nginx
        securityContext:
          privileged: true
`;

const RESTRICTED_POD = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'good', namespace: 'shop' },
  spec: {
    securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
    containers: [{ name: 'app', image: 'app', securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } } }],
  },
};

describe('runBenchK8s', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'bench-k8s-'));
    mkdirSync(path.join(dir, 'nested'));
    writeFileSync(path.join(dir, 'deploy.yaml'), `${PRIVILEGED_DEPLOYMENT}---\napiVersion: v1\nkind: ConfigMap\nmetadata: { name: cfg, namespace: shop }\n`);
    writeFileSync(path.join(dir, 'nested', 'pod.json'), JSON.stringify(RESTRICTED_POD));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('prints the PSS JSON shape with upstream check ids, and lists skipped kinds separately', async () => {
    const { output, exitCode } = await runBenchK8s({ paths: [dir], pss: 'restricted', format: 'json' });
    expect(exitCode).toBe(0);
    const json = JSON.parse(output);
    expect(Object.keys(json).sort()).toEqual(['results', 'skipped']);
    expect(json.results).toHaveLength(2);
    const web = json.results.find((r: { name: string }) => r.name === 'web');
    expect(web).toMatchObject({ kind: 'Deployment', namespace: 'shop', name: 'web', pss: { level: 'restricted', version: 'latest', allowed: false } });
    expect(web.pss.violations.map((v: { check: string }) => v.check)).toEqual([
      'privileged',
      'allowPrivilegeEscalation',
      'capabilities_restricted',
      'runAsNonRoot',
      'seccompProfile_restricted',
    ]);
    expect(web.pss.violations[0]).toEqual({ check: 'privileged', reason: 'privileged', detail: 'container "web" must not set securityContext.privileged=true' });
    const good = json.results.find((r: { name: string }) => r.name === 'good');
    expect(good.pss).toEqual({ level: 'restricted', version: 'latest', allowed: true, violations: [] });
    expect(json.skipped).toEqual([expect.objectContaining({ kind: 'ConfigMap', name: 'cfg' })]);
  });

  it('uses --exit-code only when something fails', async () => {
    expect((await runBenchK8s({ paths: [dir], pss: 'baseline', exitCode: '3' })).exitCode).toBe(3);
    expect((await runBenchK8s({ paths: [path.join(dir, 'nested')], pss: 'restricted', exitCode: 3 })).exitCode).toBe(0);
    expect((await runBenchK8s({ paths: [dir], pss: 'baseline' })).exitCode).toBe(0);
  });

  it('honours --pss-version (seccomp is not a restricted control before v1.19)', async () => {
    const pod = { ...RESTRICTED_POD, spec: { ...RESTRICTED_POD.spec, securityContext: { runAsNonRoot: true } } };
    const file = path.join(dir, 'old.json');
    writeFileSync(file, JSON.stringify(pod));
    const old = JSON.parse((await runBenchK8s({ paths: [file], pss: 'restricted', pssVersion: 'v1.18', format: 'json' })).output);
    expect(old.results[0].pss.allowed).toBe(true);
    const latest = JSON.parse((await runBenchK8s({ paths: [file], pss: 'restricted', format: 'json' })).output);
    expect(latest.results[0].pss.violations.map((v: { check: string }) => v.check)).toEqual(['seccompProfile_restricted']);
  });

  it('reports invalid YAML with file and line and still evaluates the other files', async () => {
    writeFileSync(path.join(dir, 'broken.yaml'), 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: [unclosed\n');
    const { output, exitCode } = await runBenchK8s({ paths: [dir], pss: 'baseline', format: 'json', exitCode: 1 });
    const json = JSON.parse(output);
    expect(exitCode).toBe(1);
    expect(json.errors).toHaveLength(1);
    expect(json.errors[0].file).toBe(path.join(dir, 'broken.yaml'));
    expect(json.errors[0].message).toMatch(/broken\.yaml:\d+/);
    expect(json.errors[0].line).toBeGreaterThanOrEqual(4);
    expect(json.results.map((r: { name: string }) => r.name).sort()).toEqual(['good', 'web']);
  });

  it('runs RBAC, NetworkPolicy and workload checks too without --pss', async () => {
    const { output } = await runBenchK8s({ paths: [dir], format: 'json' });
    const json = JSON.parse(output);
    const ids = new Set(json.results.map((r: { checkId: string }) => r.checkId));
    // No Service among the fixtures: the Service checks have nothing to look at.
    const workload = Object.keys(WORKLOAD_CHECKS).filter((id) => !id.startsWith('service-'));
    expect(ids).toEqual(new Set(['privileged', 'pss-baseline', '5.1.5', '5.1.6', 'pod-networkpolicy', ...workload]));
    expect(json.summary.FAIL).toBeGreaterThan(0);
  });

  it('renders table, SARIF and JUnit', async () => {
    const table = (await runBenchK8s({ paths: [dir], pss: 'baseline' })).output;
    expect(table).toContain('Deployment/shop/web');
    expect(table).toContain('skipped 1 objects of kinds not evaluated: ConfigMap (1)');
    const sarif = JSON.parse((await runBenchK8s({ paths: [dir], pss: 'baseline', format: 'sarif' })).output);
    expect(sarif.version).toBe('2.1.0');
    const run = sarif.runs[0];
    expect(run.tool.driver.rules.map((r: { id: string }) => r.id).sort()).toEqual(['privileged', 'pss-baseline']);
    const failed = run.results.find((r: { ruleId: string }) => r.ruleId === 'privileged');
    expect(failed).toMatchObject({ level: 'error', kind: 'fail', locations: [{ physicalLocation: { artifactLocation: { uri: expect.stringContaining('deploy.yaml') }, region: { startLine: 1 } } }] });
    expect(run.tool.driver.rules[failed.ruleIndex].id).toBe('privileged');
    const junit = (await runBenchK8s({ paths: [dir], pss: 'baseline', format: 'junit' })).output;
    expect(junit).toContain('<testsuites name="Kubernetes manifests: Pod Security Standards baseline:latest" tests="2" failures="1"');
    expect(junit).toMatch(/<failure message="privileged \(container &quot;web&quot; must not set securityContext.privileged=true\)" type="HIGH">/);
  });

  it('rejects bad options with a BadInputError naming the option', async () => {
    await expect(runBenchK8s({ paths: [dir], pss: 'strict' })).rejects.toThrow(/level "strict"/);
    await expect(runBenchK8s({ paths: [dir], pss: 'baseline', pssVersion: '1.30' })).rejects.toThrow(/version "1.30"/);
    await expect(runBenchK8s({ paths: [dir], format: 'xml' })).rejects.toThrow(/--format "xml"/);
    await expect(runBenchK8s({ paths: [dir], exitCode: 'x' })).rejects.toThrow(/--exit-code/);
    await expect(runBenchK8s({ paths: [path.join(dir, 'missing')] })).rejects.toBeInstanceOf(BadInputError);
  });
});
