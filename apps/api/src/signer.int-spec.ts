import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { graphql, graphqlData, startTestPlatform, type TestPlatform } from '@bulkhead/api/testing';
import { builtinPluginPackages, registryOf } from '@bulkhead/builtin-plugins';
import { RegistryClient, parseRegistryReference, type RegistryRepository } from '@bulkhead/oci';
import { ResultWriter } from '@bulkhead/persistence';
import { generateCosignKeyPair, loadCosignPrivateKey, publicKeyToPem } from '@bulkhead/signing';
import { attestImage, attestationStatement, localSigner, resolveImage } from '@bulkhead/plugin-signer';
import { describeWithRegistry, testImages } from '@bulkhead/testing';

/*
 * The signer through the API and a worker (both in this process, as `bulkhead serve` runs them)
 * against real Postgres, Redis and a real registry: server keys (sealed with the master key,
 * public parts only in the API), signImage / verifyImage as tasks whose verdicts are recorded,
 * the signature record on Image, and "images with CRITICAL findings and no valid signature" as
 * one query.
 */

const MASTER_KEY = randomBytes(32).toString('base64');
const WORKER_ENV = ['BULKHEAD_SIGNER_MASTER_KEY', 'BULKHEAD_REGISTRY_ALLOWED_HOSTS', 'BULKHEAD_REGISTRY_ALLOW_PRIVATE'] as const;

interface TaskView {
  id: string;
  status: string;
  error: string | null;
  result: { digest: string; verified?: boolean; checks: { format: string; valid: boolean; reason: string | null; verifier: string }[] } | null;
}

/** Pushes the tiny image as its own variant under `tag` (an annotation naming the tag: its own digest). */
async function pushImage(client: RegistryClient, repo: RegistryRepository, tag: string): Promise<string> {
  const layout = testImages().tinyOciLayout;
  const blob = (digest: string) => readFile(path.join(layout, 'blobs', ...digest.split(':')));
  const index = JSON.parse(await readFile(path.join(layout, 'index.json'), 'utf8')) as { manifests: { digest: string; mediaType: string }[] };
  const manifest = JSON.parse((await blob(index.manifests[0]!.digest)).toString('utf8')) as { config: { digest: string; size: number }; layers: { digest: string; size: number }[]; annotations?: Record<string, string> };
  for (const d of [manifest.config, ...manifest.layers]) await client.pushBlob(repo, await blob(d.digest), d.digest, d.size);
  manifest.annotations = { 'org.example.test-tag': tag };
  return client.putManifest(repo, tag, Buffer.from(JSON.stringify(manifest)), index.manifests[0]!.mediaType);
}

describeWithRegistry('signer through the API and a worker', (registry) => {
  let platform: TestPlatform;
  let client: RegistryClient;
  const saved: Partial<Record<(typeof WORKER_ENV)[number], string | undefined>> = {};
  let digestA: string;
  let digestB: string;
  const imageA = `sha256:${'a'.repeat(64)}`;
  const imageB = `sha256:${'b'.repeat(64)}`;

  async function waitForTask(id: string): Promise<TaskView> {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const { task } = await graphqlData<{ task: TaskView }>(platform.api.url, 'query($id: ID!) { task(id: $id) { id status error result } }', { id });
      if (['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(task.status)) return task;
      if (Date.now() > deadline) throw new Error(`task ${id} still ${task.status}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  beforeAll(async () => {
    // The worker runs in this process and reads its settings from the environment.
    for (const name of WORKER_ENV) saved[name] = process.env[name];
    process.env['BULKHEAD_SIGNER_MASTER_KEY'] = MASTER_KEY;
    process.env['BULKHEAD_REGISTRY_ALLOWED_HOSTS'] = registry().host;
    process.env['BULKHEAD_REGISTRY_ALLOW_PRIVATE'] = 'true';
    const packages = builtinPluginPackages();
    platform = await startTestPlatform({ label: 'api_signer', registry: registryOf(packages), plugins: packages, kinds: ['signer'], env: { BULKHEAD_SIGNER_MASTER_KEY: MASTER_KEY } });
    client = new RegistryClient();
    const repo = parseRegistryReference(`${registry().host}/app`);
    digestA = await pushImage(client, repo, 'a');
    digestB = await pushImage(client, repo, 'b');
    // Two scanned images (as scans store them), each with an open CRITICAL finding.
    const writer = new ResultWriter(platform.db.dataSource, null, undefined, { team: 'default' });
    for (const [image, manifest, tag] of [[imageA, digestA, 'a'], [imageB, digestB, 'b']] as const) {
      await writer.artifact({ digest: image, manifestDigests: [manifest], references: [`${registry().host}/app:${tag}`], size: 1, layers: [], os: { family: 'debian', version: '12' } });
      await writer.findings([{ kind: 'scanner', severity: 'CRITICAL', ruleId: `CVE-2099-000${tag === 'a' ? 1 : 2}`, title: 'critical', target: image, location: 'pkg:deb/debian/libssl3@3', data: { findingType: 'vulnerability' } }]);
    }
  });

  afterAll(async () => {
    client?.close();
    await platform?.stop();
    for (const name of WORKER_ENV) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
  });

  let keyId: string;
  let publicKey: string;

  it('createSigningKey (admin) returns public parts only; the private key is sealed in the plugin table', async () => {
    const { createSigningKey } = await graphqlData<{ createSigningKey: { id: string; name: string; algorithm: string; publicKey: string; fingerprint: string } }>(
      platform.api.url,
      'mutation { createSigningKey(name: "release") { id name algorithm publicKey fingerprint } }',
    );
    expect(createSigningKey).toMatchObject({ name: 'release', algorithm: 'ECDSA_P256_SHA256', publicKey: expect.stringMatching(/^-----BEGIN PUBLIC KEY-----/) });
    ({ id: keyId, publicKey } = createSigningKey);
    const [row] = await platform.db.dataSource.query('SELECT sealed_private_key FROM signer_key WHERE id = $1', [keyId]);
    expect(row.sealed_private_key.toString('latin1')).not.toMatch(/PRIVATE KEY/);
    // The schema has no field that could carry a private key.
    const fields = await graphqlData<{ __type: { fields: { name: string }[] } }>(platform.api.url, '{ __type(name: "SigningKey") { fields { name } } }');
    expect(fields.__type.fields.map((f) => f.name).sort()).toEqual(['algorithm', 'createdAt', 'fingerprint', 'id', 'name', 'provider', 'publicKey']);
  });

  it('a viewer lists keys but cannot create one or sign', async () => {
    const viewer = await platform.createToken('viewer');
    const list = await graphqlData<{ signingKeys: { name: string }[] }>(platform.api.url, '{ signingKeys { name } }', {}, { token: viewer.secret });
    expect(list.signingKeys.map((k) => k.name)).toContain('release');
    const create = await graphql(platform.api.url, 'mutation { createSigningKey(name: "v") { id } }', {}, { token: viewer.secret });
    expect(create.errors?.[0]?.extensions?.['code']).toBe('FORBIDDEN');
    const sign = await graphql(platform.api.url, 'mutation($ref: String!, $key: ID!) { signImage(ref: $ref, keyId: $key) { id } }', { ref: `${registry().host}/app:a`, key: 'release' }, { token: viewer.secret });
    expect(sign.errors?.[0]?.extensions?.['code']).toBe('FORBIDDEN');
  });

  it('signImage runs on a worker: both cosign forms written over the digest, recorded valid', async () => {
    const { signImage } = await graphqlData<{ signImage: { id: string; kind: string; type: string } }>(
      platform.api.url,
      'mutation($ref: String!, $key: ID!) { signImage(ref: $ref, keyId: $key) { id kind type } }',
      { ref: `${registry().host}/app:a`, key: keyId },
    );
    expect(signImage).toMatchObject({ kind: 'SIGNER', type: 'sign-image' });
    const task = await waitForTask(signImage.id);
    expect(task.error).toBeNull();
    expect(task.status).toBe('SUCCEEDED');
    expect(task.result?.digest).toBe(digestA);
    const repo = parseRegistryReference(`${registry().host}/app`);
    expect(await client.headManifest(repo, `sha256-${digestA.slice(7)}.sig`)).toBeDefined();
    expect((await client.referrers(repo, digestA, 'application/vnd.dev.sigstore.bundle.v0.3+json')).length).toBe(1);
    expect(task.result?.checks.map((c) => c.format).sort()).toEqual(['cosign-bundle', 'cosign-legacy']);
  });

  it('verifyImage with the team keys finds the valid signature; signatures(image) and Image.signed show it', async () => {
    const { verifyImage } = await graphqlData<{ verifyImage: { id: string } }>(platform.api.url, 'mutation($ref: String!) { verifyImage(ref: $ref) { id } }', { ref: `${registry().host}/app:a` });
    const task = await waitForTask(verifyImage.id);
    expect(task.status).toBe('SUCCEEDED');
    expect(task.result?.verified).toBe(true);
    const { signatures } = await graphqlData<{ signatures: { format: string; valid: boolean; imageDigest: string; verifier: string; taskId: string }[] }>(
      platform.api.url,
      'query($image: String!) { signatures(image: $image) { format valid imageDigest verifier taskId } }',
      { image: digestA },
    );
    expect(signatures.length).toBeGreaterThan(0);
    expect(signatures.every((s) => s.valid && s.imageDigest === digestA)).toBe(true);
    const { image } = await graphqlData<{ image: { signed: boolean; signatures: { valid: boolean }[] } }>(platform.api.url, 'query($d: String!) { image(digest: $d) { signed signatures { valid } } }', { d: imageA });
    expect(image.signed).toBe(true);
    const other = await graphqlData<{ image: { signed: boolean } }>(platform.api.url, 'query($d: String!) { image(digest: $d) { signed } }', { d: imageB });
    expect(other.image.signed).toBe(false);
  });

  it('"images with CRITICAL findings and no valid signature" is one query', async () => {
    const { imagesBySignature } = await graphqlData<{ imagesBySignature: { totalCount: number; edges: { node: { digest: string; signed: boolean; findingCount: number; manifestDigests: string[] } }[] } }>(
      platform.api.url,
      '{ imagesBySignature(severity: [CRITICAL], signed: false) { totalCount edges { node { digest signed findingCount manifestDigests } } } }',
    );
    expect(imagesBySignature.totalCount).toBe(1);
    expect(imagesBySignature.edges.map((e) => e.node)).toEqual([{ digest: imageB, signed: false, findingCount: 1, manifestDigests: [digestB] }]);
  });

  it('verifyImage with another key records the reason (wrong-key) and verified: false', async () => {
    const { createSigningKey } = await graphqlData<{ createSigningKey: { id: string } }>(platform.api.url, 'mutation { createSigningKey(name: "other") { id } }');
    const { verifyImage } = await graphqlData<{ verifyImage: { id: string } }>(platform.api.url, 'mutation($ref: String!, $keys: [ID!]) { verifyImage(ref: $ref, keyIds: $keys) { id } }', {
      ref: `${registry().host}/app:a`,
      keys: [createSigningKey.id],
    });
    const task = await waitForTask(verifyImage.id);
    expect(task.status).toBe('SUCCEEDED');
    expect(task.result?.verified).toBe(false);
    expect(task.result?.checks.every((c) => !c.valid && /wrong-key/.test(c.reason ?? ''))).toBe(true);
  });

  it('verifyImage with the public key as PEM (cosign.pub) verifies too', async () => {
    const { verifyImage } = await graphqlData<{ verifyImage: { id: string } }>(platform.api.url, 'mutation($ref: String!, $pem: String) { verifyImage(ref: $ref, publicKey: $pem) { id } }', {
      ref: `${registry().host}/app:a`,
      pem: publicKey,
    });
    expect((await waitForTask(verifyImage.id)).result?.verified).toBe(true);
  });

  it('verifyImage records attestations too: attestations(image) and Image.attestations list them with their verdict', async () => {
    const pair = await generateCosignKeyPair('');
    const key = await loadCosignPrivateKey(pair.privateKeyPem, '');
    const image = await resolveImage(client, `${registry().host}/app:b`);
    const bom = { bomFormat: 'CycloneDX', specVersion: '1.5', version: 1, components: [] };
    await attestImage(client, image, localSigner(key.privateKey, key.publicKey), attestationStatement(image, 'https://cyclonedx.org/bom', bom), 'legacy');
    const { verifyImage } = await graphqlData<{ verifyImage: { id: string } }>(platform.api.url, 'mutation($ref: String!, $pem: String) { verifyImage(ref: $ref, publicKey: $pem) { id } }', {
      ref: `${registry().host}/app:b`,
      pem: publicKeyToPem(key.publicKey),
    });
    const task = await waitForTask(verifyImage.id);
    expect(task.status).toBe('SUCCEEDED');
    expect(task.result?.verified).toBe(false); // attested, not signed
    const { attestations } = await graphqlData<{ attestations: { predicateType: string; valid: boolean; format: string }[] }>(
      platform.api.url,
      'query($image: String!) { attestations(image: $image) { predicateType valid format } }',
      { image: digestB },
    );
    expect(attestations).toEqual([{ predicateType: 'https://cyclonedx.org/bom', valid: true, format: 'COSIGN_LEGACY' }]);
    const { image: stored } = await graphqlData<{ image: { signed: boolean; attestations: { valid: boolean }[] } }>(platform.api.url, 'query($d: String!) { image(digest: $d) { signed attestations { valid } } }', { d: imageB });
    expect(stored).toEqual({ signed: false, attestations: [{ valid: true }] });
  });

  it('importSigningKey takes a cosign.key; a wrong password is a clear BAD_USER_INPUT', async () => {
    const pair = await generateCosignKeyPair('pw');
    const wrong = await graphql(platform.api.url, 'mutation($k: String!) { importSigningKey(name: "imported", cosignKey: $k, password: "nope") { id } }', { k: pair.privateKeyPem });
    expect(wrong.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
    expect(wrong.errors?.[0]?.message).toMatch(/wrong password or corrupted key/);
    const { importSigningKey } = await graphqlData<{ importSigningKey: { publicKey: string; fingerprint: string } }>(
      platform.api.url,
      'mutation($k: String!) { importSigningKey(name: "imported", cosignKey: $k, password: "pw") { publicKey fingerprint } }',
      { k: pair.privateKeyPem },
    );
    expect(importSigningKey.publicKey.trim()).toBe(pair.publicKeyPem.trim());
  });

  it('the worker refuses a registry host outside BULKHEAD_REGISTRY_ALLOWED_HOSTS', async () => {
    const port = registry().port;
    const { signImage } = await graphqlData<{ signImage: { id: string } }>(platform.api.url, 'mutation($ref: String!, $key: ID!) { signImage(ref: $ref, keyId: $key) { id } }', {
      ref: `localhost:${port}/app:a`,
      key: keyId,
    });
    const task = await waitForTask(signImage.id);
    expect(task.status).toBe('FAILED');
    expect(task.error).toMatch(/localhost/);
  });

  it('another team (red) sees no keys and no signatures, and cannot sign with a key id of team default', async () => {
    const red = await platform.createToken('admin', 'red');
    const keys = await graphqlData<{ signingKeys: unknown[] }>(platform.api.url, '{ signingKeys { id } }', {}, { token: red.secret });
    expect(keys.signingKeys).toEqual([]);
    const sigs = await graphqlData<{ signatures: unknown[] }>(platform.api.url, 'query($image: String!) { signatures(image: $image) { id } }', { image: digestA }, { token: red.secret });
    expect(sigs.signatures).toEqual([]);
    const sign = await graphql(platform.api.url, 'mutation($ref: String!, $key: ID!) { signImage(ref: $ref, keyId: $key) { id } }', { ref: `${registry().host}/app:a`, key: keyId }, { token: red.secret });
    expect(sign.errors?.[0]?.message).toMatch(/no signing key/);
  });
});
