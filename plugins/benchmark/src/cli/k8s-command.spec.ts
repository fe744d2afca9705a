import { cpSync, mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
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
    // One shape with or without --pss: the per-workload verdicts are in `workloads`.
    expect(Object.keys(json).sort()).toEqual(['errors', 'notes', 'results', 'skipped', 'skippedFiles', 'summary', 'title', 'workloads']);
    expect(json.workloads).toHaveLength(2);
    const web = json.workloads.find((r: { name: string }) => r.name === 'web');
    expect(web).toMatchObject({ kind: 'Deployment', namespace: 'shop', name: 'web', pss: { level: 'restricted', version: 'latest', allowed: false } });
    expect(web.pss.violations.map((v: { check: string }) => v.check)).toEqual([
      'privileged',
      'allowPrivilegeEscalation',
      'capabilities_restricted',
      'runAsNonRoot',
      'seccompProfile_restricted',
    ]);
    expect(web.pss.violations[0]).toEqual({ check: 'privileged', reason: 'privileged', detail: 'container "web" must not set securityContext.privileged=true' });
    const good = json.workloads.find((r: { name: string }) => r.name === 'good');
    expect(good.pss).toEqual({ level: 'restricted', version: 'latest', allowed: true, violations: [] });
    expect(json.skipped).toEqual([expect.objectContaining({ kind: 'ConfigMap', name: 'cfg' })]);
  });

  it('uses --exit-code only when something fails', async () => {
    expect((await runBenchK8s({ paths: [dir], pss: 'baseline', exitCode: '3' })).exitCode).toBe(3);
    expect((await runBenchK8s({ paths: [path.join(dir, 'nested')], pss: 'restricted', exitCode: 3 })).exitCode).toBe(0);
    expect((await runBenchK8s({ paths: [dir], pss: 'baseline' })).exitCode).toBe(0);
  });

  it('--ignore takes PSS violations out of the --pss JSON and of --exit-code', async () => {
    const out = await runBenchK8s({ paths: [dir], pss: 'baseline', format: 'json', exitCode: '3', ignore: ['KSV017'] });
    expect(out.exitCode).toBe(0);
    expect(out.notice).toBe('ignored 1 result (--ignore)');
    const web = JSON.parse(out.output).workloads.find((r: { name: string }) => r.name === 'web');
    expect(web.pss).toMatchObject({ allowed: true, violations: [] });
    await expect(runBenchK8s({ paths: [dir], ignore: 'KSV017,bogus' })).rejects.toThrow('--ignore "bogus"');
  });

  it('honours --pss-version (seccomp is not a restricted control before v1.19)', async () => {
    const pod = { ...RESTRICTED_POD, spec: { ...RESTRICTED_POD.spec, securityContext: { runAsNonRoot: true } } };
    const file = path.join(dir, 'old.json');
    writeFileSync(file, JSON.stringify(pod));
    const old = JSON.parse((await runBenchK8s({ paths: [file], pss: 'restricted', pssVersion: 'v1.18', format: 'json' })).output);
    expect(old.workloads[0].pss.allowed).toBe(true);
    const latest = JSON.parse((await runBenchK8s({ paths: [file], pss: 'restricted', format: 'json' })).output);
    expect(latest.workloads[0].pss.violations.map((v: { check: string }) => v.check)).toEqual(['seccompProfile_restricted']);
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
    expect(json.workloads.map((r: { name: string }) => r.name).sort()).toEqual(['good', 'web']);
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
    expect(failed).toMatchObject({ level: 'error', kind: 'fail', locations: [{ physicalLocation: { artifactLocation: { uri: expect.stringContaining('deploy.yaml') }, region: { startLine: 15 } } }] });
    expect(run.tool.driver.rules[failed.ruleIndex].id).toBe('privileged');
    const junit = (await runBenchK8s({ paths: [dir], pss: 'baseline', format: 'junit' })).output;
    expect(junit).toContain('<testsuites name="Kubernetes manifests: Pod Security Standards baseline:latest" tests="2" failures="1"');
    expect(junit).toMatch(/<failure message="privileged \(container &quot;web&quot; must not set securityContext.privileged=true\)" type="HIGH">/);
  });

  it('rejects bad options with a usage error (exit 2) naming the option', async () => {
    await expect(runBenchK8s({ paths: [dir], pss: 'strict' })).rejects.toThrow(/level "strict"/);
    await expect(runBenchK8s({ paths: [dir], pss: 'baseline', pssVersion: '1.30' })).rejects.toThrow(/version "1.30"/);
    await expect(runBenchK8s({ paths: [dir], format: 'xml' })).rejects.toThrow(/--format "xml"/);
    await expect(runBenchK8s({ paths: [dir], exitCode: 'x' })).rejects.toThrow(/--exit-code/);
    // A missing path is not a usage error: it is reported (exit 1) and the other paths are still checked.
    const missing = await runBenchK8s({ paths: [path.join(dir, 'missing')] });
    expect(missing.exitCode).toBe(1);
    expect(missing.output).toContain(`error: cannot read manifest ${path.join(dir, 'missing')}: no such file or directory`);
  });

  it('points JSON, SARIF and the table at the same line of the offending field', async () => {
    const json = JSON.parse((await runBenchK8s({ paths: [dir], pss: 'baseline', checks: 'pss,rbac', format: 'json' })).output);
    const privileged = JSON.parse((await runBenchK8s({ paths: [dir], format: 'json' })).output).results.find((r: { checkId: string }) => r.checkId === 'privileged');
    const file = path.join(dir, 'deploy.yaml');
    expect(privileged).toMatchObject({ file, line: 15, endLine: 15, path: 'spec.template.spec.containers[0].securityContext.privileged' });
    expect(privileged.location).toEqual({ file, line: 15, endLine: 15, path: 'spec.template.spec.containers[0].securityContext.privileged' });
    // RBAC results are in `results` beside the PSS ones, also located (the pod spec's missing serviceAccountName -> its `spec`).
    const sa = json.results.find((r: { checkId: string }) => r.checkId === '5.1.5');
    expect(sa.location).toMatchObject({ file, line: 10, path: 'spec.template.spec.serviceAccountName' });
    const table = (await runBenchK8s({ paths: [dir], pss: 'baseline' })).output;
    expect(table).toMatch(/FAIL\s+HIGH\s+privileged\s+Deployment\/shop\/web\s+\S*deploy\.yaml:15\s/);
  });
});

describe('runBenchK8s inputs', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'bench-k8s-inputs-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const write = (rel: string, text: string): void => {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), text);
  };

  it('skips files in directories that are not Kubernetes objects, and lists them', async () => {
    write('deploy/app.yaml', PRIVILEGED_DEPLOYMENT);
    write('.github/workflows/ci.yml', 'name: ci\non: [push]\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n');
    write('compose.yaml', 'services:\n  web:\n    image: nginx\n    ports: ["80:80"]\n');
    write('chart/values.yaml', 'replicaCount: 1\nimage:\n  repository: nginx\n');
    write('chart/Chart.yaml', 'apiVersion: v2\nname: web\nversion: 0.1.0\n');
    write('chart/templates/deployment.yaml', 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\nspec:\n  {{- toYaml .Values.spec | nindent 2 }}\n');
    write('broken.yaml', 'apiVersion: v1\nkind: Pod\nmetadata: [\n');
    const { output, exitCode } = await runBenchK8s({ paths: [dir], format: 'json', exitCode: 3 });
    const json = JSON.parse(output);
    expect(json.skippedFiles.map((f: { file: string }) => path.relative(dir, f.file)).sort()).toEqual([
      '.github/workflows/ci.yml',
      'chart/Chart.yaml',
      'chart/templates/deployment.yaml',
      'chart/values.yaml',
      'compose.yaml',
    ]);
    expect(json.skippedFiles.find((f: { file: string }) => f.file.endsWith('deployment.yaml')).reason).toMatch(/helm template/);
    // A broken YAML file that is not a template is still an error, and fails the run.
    expect(json.errors.map((e: { file: string }) => path.relative(dir, e.file))).toEqual(['broken.yaml']);
    expect(exitCode).toBe(3);
    const table = (await runBenchK8s({ paths: [dir] })).output;
    expect(table).toContain('skipped 5 files that are not Kubernetes manifests:');
    expect(table).toContain(`${path.join(dir, 'compose.yaml')}: no Kubernetes objects`);
  });

  it('still reports a file named directly that is not a manifest', async () => {
    write('compose.yaml', 'services:\n  web:\n    image: nginx\n');
    const json = JSON.parse((await runBenchK8s({ paths: [path.join(dir, 'compose.yaml')], format: 'json' })).output);
    expect(json.errors).toEqual([expect.objectContaining({ message: expect.stringMatching(/object has no kind/) })]);
    expect(json.skippedFiles).toEqual([]);
  });

  it('reads a manifest stream from standard input with -', async () => {
    const stream = `---\n# Source: web/templates/deployment.yaml\n${PRIVILEGED_DEPLOYMENT}---\napiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: p}\n  spec:\n    hostPID: true\n    containers: [{name: a, image: a}]\n`;
    const { output } = await runBenchK8s({ paths: ['-'], pss: 'baseline', format: 'json', readStdin: async () => stream });
    const json = JSON.parse(output);
    expect(json.workloads.map((r: { kind: string; namespace: string; name: string; file: string; line: number }) => [r.kind, r.namespace, r.name, r.file, r.line])).toEqual([
      ['Deployment', 'shop', 'web', '<stdin>', 3],
      ['Pod', 'default', 'p', '<stdin>', 22],
    ]);
    const full = JSON.parse((await runBenchK8s({ paths: ['-'], checks: 'pss', format: 'json', readStdin: async () => stream })).output);
    const hostPid = full.results.find((r: { checkId: string }) => r.checkId === 'hostNamespaces');
    expect(hostPid).toMatchObject({ file: '<stdin>', line: 26, path: 'spec.hostPID' });
    await expect(runBenchK8s({ paths: ['-'] })).rejects.toThrow(/standard input/);
    await expect(runBenchK8s({ paths: ['-', '-'], readStdin: async () => stream })).rejects.toThrow(/more than once/);
  });

  it('treats objects without a namespace as the --namespace they would be applied to', async () => {
    const deny = 'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: deny-all\n  namespace: NS\nspec:\n  podSelector: {}\n  policyTypes: [Ingress, Egress]\n';
    const pod = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers: [{name: a, image: a}]\n';
    write('pod.yaml', pod);
    write('deny.yaml', deny.replace('NS', 'default'));
    const netpol = async (namespace?: string) =>
      JSON.parse((await runBenchK8s({ paths: [dir], checks: 'netpol', format: 'json', ...(namespace ? { namespace } : {}) })).output).results.find(
        (r: { checkId: string }) => r.checkId === 'pod-networkpolicy',
      );
    expect(await netpol()).toMatchObject({ status: 'PASS', target: 'Pod/default/p' });
    expect(await netpol('shop')).toMatchObject({ status: 'FAIL', target: 'Pod/shop/p' });
    write('deny.yaml', deny.replace('NS', 'shop'));
    expect(await netpol('shop')).toMatchObject({ status: 'PASS' });
    await expect(runBenchK8s({ paths: [dir], namespace: 'Bad_NS' })).rejects.toThrow(/--namespace "Bad_NS"/);
    // Cluster-scoped kinds get no namespace.
    write('cr.yaml', 'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: r\nrules:\n- apiGroups: ["*"]\n  resources: ["*"]\n  verbs: ["*"]\n');
    const rbac = JSON.parse((await runBenchK8s({ paths: [path.join(dir, 'cr.yaml')], checks: 'rbac', format: 'json' })).output);
    expect(rbac.results.find((r: { checkId: string }) => r.checkId === '5.1.3')).toMatchObject({ target: 'ClusterRole/r', status: 'FAIL', line: 6, endLine: 8, path: 'rules[0]' });
  });
});

describe('bench k8s on a mixed repository (test-corpus/mixed-repo)', () => {
  let repo: string;
  beforeEach(() => {
    repo = path.join(mkdtempSync(path.join(tmpdir(), 'bench-k8s-repo-')), 'repo');
    cpSync(path.join(__dirname, '..', '..', 'test-corpus', 'mixed-repo'), repo, { recursive: true });
  });
  afterEach(() => rmSync(path.dirname(repo), { recursive: true, force: true }));

  it('--exit-code 1 exits 0 when the manifests are clean, listing the files it skipped', async () => {
    const { output, exitCode } = await runBenchK8s({ paths: [repo], exitCode: '1' });
    expect(exitCode).toBe(0);
    expect(output).toContain('0 failed');
    expect(output).toContain('skipped 5 files that are not Kubernetes manifests:');
    for (const f of ['.github/workflows/ci.yml', 'compose.yaml', 'chart/values.yaml', 'chart/Chart.yaml', 'chart/templates/deployment.yaml']) expect(output).toContain(path.join(repo, f));
  });

  it('--exit-code 1 exits 1 when one manifest is not clean, and points at the field', async () => {
    writeFileSync(path.join(repo, 'deploy', 'debug.yaml'), PRIVILEGED_DEPLOYMENT);
    const { output, exitCode } = await runBenchK8s({ paths: [repo], exitCode: '1' });
    expect(exitCode).toBe(1);
    expect(output).toMatch(new RegExp(`FAIL\\s+HIGH\\s+privileged\\s+Deployment/shop/web\\s+${path.join(repo, 'deploy', 'debug.yaml').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:15`));
    expect(output).toContain('skipped 5 files that are not Kubernetes manifests:');
  });
});

