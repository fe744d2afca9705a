import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { validateReport } from '@bulkhead/testing';
import { privilegedPod, replayCluster, StandInApiServer, standInKubeconfig } from '@bulkhead/plugin-benchmark/testing';
import { runCli } from './main';

/*
 * `bulkhead cluster scan` through the real command line (in process) against the HTTPS stand-in
 * kube-apiserver: the summary per namespace and workload, --format json valid against
 * docs/schemas/cluster-scan.schema.json (named in json-schemas.spec.ts's validatedElsewhere),
 * --output FILE --quiet (0600, nothing on stdout), --exit-code on failed checks, a forbidden
 * namespace reported as a partial inventory (exit 0), and the errors: an expired token, a
 * missing kubeconfig, an unknown context (exit 1), bad options (exit 2). Client certificates
 * and an exec credential plugin authenticate as kubectl's would.
 */

jest.setTimeout(60_000);

let dir: string;
let server: StandInApiServer;
let kubeconfig: string;

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(['node', 'bulkhead', ...args], { out: (t) => (out += t), err: (t) => (err += t) });
  return { code, out, err };
}

/** `cluster scan` with args: the words of the command line (the first holds both command words). */
function run(command: string, ...args: string[]): Promise<{ code: number; out: string; err: string }> {
  return cli(...command.split(' '), ...args);
}

/** `args` with --output FILE --quiet: the report is in FILE (mode 0600), nothing on stdout. */
async function quietly(command: string, ...args: string[]): Promise<{ code: number; report: string; err: string }> {
  const file = path.join(dir, 'scan.report');
  const result = await run(command, ...args, '--output', file, '--quiet');
  expect(result.out).toBe('');
  expect(statSync(file).mode & 0o777).toBe(0o600);
  return { code: result.code, report: readFileSync(file, 'utf8'), err: result.err };
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'bh-cluster-scan-'));
  server = await new StandInApiServer({ tokens: ['valid-token', 'old'], expiredTokens: ['old'], forbiddenNamespaces: ['app-2'] }).start();
  replayCluster(server, { namespaces: 3, deployments: 2, podsPerDeployment: 2 });
  server.put(privilegedPod('app-1', 'debug'));
  kubeconfig = path.join(dir, 'kubeconfig');
  writeFileSync(kubeconfig, standInKubeconfig(server, { token: 'valid-token', context: 'prod' }));
});
afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('bulkhead cluster scan', () => {
  it('summarises per namespace and workload; JSON valid against its schema; partial inventory noted', async () => {
    const json = await run('cluster scan', '--kubeconfig', kubeconfig, '--format', 'json');
    expect(json.code).toBe(0);
    const report = JSON.parse(json.out) as { summary: Record<string, unknown>; workloads: { name: string; kind: string; pods: number; podSecurityLevel: string; failed: string[]; images: { digest: string | null }[] }[]; notes: { namespace?: string }[] };
    expect(validateReport('cluster-scan', report)).toEqual({ valid: true, errors: null });
    expect(report.summary).toMatchObject({ namespaces: 2, workloads: 5, pods: 9, partial: true });
    const debug = report.workloads.find((w) => w.name === 'debug');
    expect(debug).toMatchObject({ kind: 'Pod', pods: 1, podSecurityLevel: 'privileged' });
    expect(debug?.failed).toContain('privileged');
    const web = report.workloads.find((w) => w.kind === 'Deployment');
    expect(web?.pods).toBe(2);
    expect(web?.images[0]?.digest).toMatch(/^sha256:/);
    expect(report.notes.some((n) => n.namespace === 'app-2')).toBe(true);
    expect(json.err).toMatch(/warning: the inventory is partial/);

    const table = await quietly('cluster scan', '--kubeconfig', kubeconfig);
    expect(table.code).toBe(0);
    expect(table.report).toMatch(/^Cluster: https:\/\/127\.0\.0\.1:\d+ \(context prod\)/);
    expect(table.report).toMatch(/Workload Assessment\nNAMESPACE +RESOURCE +PODS +PSS +CRITICAL +HIGH +MEDIUM +LOW/);
    expect(table.report).toMatch(/app-1 +Pod\/debug +1 +privileged/);
    expect(table.report).toMatch(/ClusterRole\/too-much/);
    expect(table.report).toMatch(/Notes \(partial inventory\)\n- .* in app-2: .* is forbidden/);
  });

  it('--exit-code on failed checks; --namespace narrows the scan', async () => {
    expect((await run('cluster scan', '--kubeconfig', kubeconfig, '--exit-code', '4')).code).toBe(4);
    const one = await run('cluster scan', '--kubeconfig', kubeconfig, '--namespace', 'app-0', '--exit-code', '4', '--format', 'json');
    const report = JSON.parse(one.out) as { summary: { namespaces: number; failed: number }; workloads: { namespace: string }[] };
    expect(new Set(report.workloads.map((w) => w.namespace))).toEqual(new Set(['app-0']));
    expect(one.code).toBe(report.summary.failed > 0 ? 4 : 0);
  });

  it('authenticates with a client certificate and with an exec credential plugin', async () => {
    const certs = path.join(dir, 'certs.kubeconfig');
    writeFileSync(certs, standInKubeconfig(server));
    expect((await run('cluster scan', '--kubeconfig', certs, '--format', 'json')).code).toBe(0);
    const exec = JSON.parse(standInKubeconfig(server, { token: 'unused' })) as { users: { user: Record<string, unknown> }[] };
    const script = path.join(dir, 'credential.js');
    writeFileSync(script, `process.stdout.write(JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', status: { token: 'valid-token', expirationTimestamp: new Date(Date.now() + 3600e3).toISOString() } }));`);
    exec.users[0] = { ...exec.users[0], user: { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: process.execPath, args: [script], interactiveMode: 'Never' } } };
    writeFileSync(path.join(dir, 'exec.kubeconfig'), JSON.stringify(exec));
    const viaExec = await run('cluster scan', '--kubeconfig', path.join(dir, 'exec.kubeconfig'), '--format', 'json');
    expect(viaExec.err).not.toMatch(/401/);
    expect(viaExec.code).toBe(0);
  });

  it('errors name the problem: expired token, missing kubeconfig, unknown context (1); bad options (2)', async () => {
    const expired = path.join(dir, 'expired.kubeconfig');
    writeFileSync(expired, standInKubeconfig(server, { token: 'old' }));
    const unauthorized = await run('cluster scan', '--kubeconfig', expired);
    expect(unauthorized.code).toBe(1);
    expect(unauthorized.err).toMatch(/answered 401 Unauthorized .*the credentials are missing, invalid or expired/);
    const missing = await run('cluster scan', '--kubeconfig', path.join(dir, 'nope.yaml'));
    expect(missing).toMatchObject({ code: 1, err: expect.stringMatching(/cannot read kubeconfig .*nope\.yaml: no such file or directory/) });
    const context = await run('cluster scan', '--kubeconfig', kubeconfig, '--context', 'staging');
    expect(context).toMatchObject({ code: 1, err: expect.stringMatching(/has no context "staging"; it has: prod/) });
    expect((await run('cluster scan', '--kubeconfig', kubeconfig, '--format', 'xml')).code).toBe(2);
    expect((await run('cluster scan', '--kubeconfig', kubeconfig, '--namespace', 'Bad_NS')).code).toBe(2);
  });
});
