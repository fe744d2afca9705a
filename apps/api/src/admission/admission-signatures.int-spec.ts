import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { authHeaders, graphqlData, startTestPlatform, type TestPlatform } from '@bulkhead/api/testing';
import { builtinPluginPackages, registryOf } from '@bulkhead/builtin-plugins';
import { RegistryClient, parseRegistryReference, type RegistryRepository } from '@bulkhead/oci';
import { generateCosignKeyPair } from '@bulkhead/signing';
import { describeWithRegistry, testImages } from '@bulkhead/testing';

/*
 * The admission webhook's trustedKeys rule end to end: the signer plugin signs images in a real
 * (loopback) registry on a real worker and records the verdicts; the webhook (benchmark plugin)
 * reads them through the host's imageSignatures service (no import of the signer) and admits a
 * pod only when each image's manifest digest has a valid signature by a trusted key, within the
 * team of the webhook's token.
 */

jest.setTimeout(120_000);

const MASTER_KEY = randomBytes(32).toString('base64');
const WORKER_ENV = ['BULKHEAD_SIGNER_MASTER_KEY', 'BULKHEAD_REGISTRY_ALLOWED_HOSTS', 'BULKHEAD_REGISTRY_ALLOW_PRIVATE'] as const;

/** Pushes the tiny image as its own variant under `tag` (an annotation naming the tag: its own digest). */
async function pushImage(client: RegistryClient, repo: RegistryRepository, tag: string): Promise<string> {
  const layout = testImages().tinyOciLayout;
  const blob = (digest: string) => readFile(path.join(layout, 'blobs', ...digest.split(':')));
  const index = JSON.parse(await readFile(path.join(layout, 'index.json'), 'utf8')) as { manifests: { digest: string; mediaType: string }[] };
  const [entry] = index.manifests;
  if (!entry) throw new Error('the tiny test image has no manifest');
  const manifest = JSON.parse((await blob(entry.digest)).toString('utf8')) as { config: { digest: string; size: number }; layers: { digest: string; size: number }[]; annotations?: Record<string, string> };
  for (const d of [manifest.config, ...manifest.layers]) await client.pushBlob(repo, await blob(d.digest), d.digest, d.size);
  manifest.annotations = { 'org.example.test-tag': tag };
  return client.putManifest(repo, tag, Buffer.from(JSON.stringify(manifest)), entry.mediaType);
}

interface Answer {
  allowed: boolean;
  status?: { code: number; message: string };
}

describeWithRegistry('admission trustedKeys: signatures recorded by the signer, read through HOST_SERVICES', (registry) => {
  let platform: TestPlatform;
  let client: RegistryClient;
  let work: string;
  let viewerA: string;
  let viewerB: string;
  let adminB: string;
  const saved: Partial<Record<(typeof WORKER_ENV)[number], string | undefined>> = {};
  const trusted = { password: 'trusted-password', privateKeyPem: '', publicKeyPem: '' };
  const digests: Record<'signed' | 'unsigned' | 'other' | 'teamB', string> = { signed: '', unsigned: '', other: '', teamB: '' };
  const ref = (tag: keyof typeof digests) => `${registry().host}/app@${digests[tag]}`;

  async function waitForTask(id: string, token?: string): Promise<{ status: string; error: string | null; result: { verified?: boolean } | null }> {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const { task } = await graphqlData<{ task: { status: string; error: string | null; result: { verified?: boolean } | null } }>(platform.api.url, 'query($id: ID!) { task(id: $id) { status error result } }', { id }, token ? { token } : {});
      if (['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(task.status)) return task;
      if (Date.now() > deadline) throw new Error(`task ${id} still ${task.status}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** Signs `tag` on a worker with the server key `keyId` of the team of `token` (default: the admin token of team default). */
  async function sign(tag: keyof typeof digests, keyId: string, token?: string): Promise<void> {
    const { signImage } = await graphqlData<{ signImage: { id: string } }>(platform.api.url, 'mutation($ref: String!, $key: ID!) { signImage(ref: $ref, keyId: $key) { id } }', { ref: ref(tag), key: keyId }, token ? { token } : {});
    const task = await waitForTask(signImage.id, token);
    expect([task.status, task.error]).toEqual(['SUCCEEDED', null]);
  }

  /** Imports the trusted key pair (cosign.key) as a server key of the team of `token`. */
  async function importTrusted(token?: string): Promise<string> {
    const { importSigningKey } = await graphqlData<{ importSigningKey: { id: string } }>(
      platform.api.url,
      'mutation($key: String!, $pw: String!) { importSigningKey(name: "trusted", cosignKey: $key, password: $pw) { id } }',
      { key: trusted.privateKeyPem, pw: trusted.password },
      token ? { token } : {},
    );
    return importSigningKey.id;
  }

  async function admit(images: string[], token: string, uid = `uid-${randomBytes(4).toString('hex')}`): Promise<Answer> {
    const review = {
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      request: { uid, kind: { group: '', version: 'v1', kind: 'Pod' }, operation: 'CREATE', name: 'p', namespace: 'ns', object: { metadata: { name: 'p' }, spec: { containers: images.map((image, i) => ({ name: `c${i}`, image })) } } },
    };
    const response = await fetch(`${platform.api.url}/admission/validate`, { method: 'POST', headers: { 'content-type': 'application/json', ...authHeaders(platform.api.url, token) }, body: JSON.stringify(review) });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { response: Answer };
    return body.response;
  }

  beforeAll(async () => {
    for (const name of WORKER_ENV) saved[name] = process.env[name];
    process.env['BULKHEAD_SIGNER_MASTER_KEY'] = MASTER_KEY;
    process.env['BULKHEAD_REGISTRY_ALLOWED_HOSTS'] = registry().host;
    process.env['BULKHEAD_REGISTRY_ALLOW_PRIVATE'] = 'true';
    Object.assign(trusted, await generateCosignKeyPair(trusted.password));
    work = await mkdtemp(path.join(tmpdir(), 'bulkhead-admission-signed-'));
    const policyFile = path.join(work, 'policy.json');
    // The trusted key as the operator writes it: its PEM public key.
    await writeFile(policyFile, JSON.stringify({ trustedKeys: [trusted.publicKeyPem] }));
    const packages = builtinPluginPackages();
    platform = await startTestPlatform({
      label: 'admission_signed',
      registry: registryOf(packages),
      plugins: packages,
      kinds: ['signer'],
      env: { BULKHEAD_SIGNER_MASTER_KEY: MASTER_KEY, BULKHEAD_ADMISSION_POLICY_FILE: policyFile },
    });
    client = new RegistryClient();
    const repo = parseRegistryReference(`${registry().host}/app`);
    for (const tag of Object.keys(digests) as (keyof typeof digests)[]) digests[tag] = await pushImage(client, repo, tag);
    viewerA = (await platform.createToken('viewer')).secret;
    viewerB = (await platform.createToken('viewer', 'team-b')).secret;
    adminB = (await platform.createToken('admin', 'team-b')).secret;
    // Team default: `signed` by the trusted key; `other` by another server key, then verified with the trusted public key (wrong-key).
    await sign('signed', await importTrusted());
    const { createSigningKey } = await graphqlData<{ createSigningKey: { id: string } }>(platform.api.url, 'mutation { createSigningKey(name: "other") { id } }');
    await sign('other', createSigningKey.id);
    const { verifyImage } = await graphqlData<{ verifyImage: { id: string } }>(platform.api.url, 'mutation($ref: String!, $pem: String) { verifyImage(ref: $ref, publicKey: $pem) { id } }', { ref: ref('other'), pem: trusted.publicKeyPem });
    expect((await waitForTask(verifyImage.id)).result?.verified).toBe(false);
    // Team B: `teamB` signed by the same trusted key, imported into team B.
    await sign('teamB', await importTrusted(adminB), adminB);
  });

  afterAll(async () => {
    client?.close();
    await platform?.stop();
    if (work) await rm(work, { recursive: true, force: true });
    for (const name of WORKER_ENV) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
  });

  it('admits a pod whose image digest the signer recorded a valid signature for, by the trusted key', async () => {
    expect(await admit([ref('signed')], viewerA)).toEqual({ uid: expect.any(String), allowed: true });
  });

  it('denies an unsigned image, naming the image and the digest without a signature', async () => {
    const answer = await admit([ref('signed'), ref('unsigned')], viewerA);
    expect(answer.allowed).toBe(false);
    expect(answer.status?.message).toBe(`image ${ref('unsigned')}: no signature recorded for ${digests.unsigned} (unsigned, or never verified by Bulkhead)`);
  });

  it('denies an image signed by another key, naming the untrusted key and the invalid check by the trusted one', async () => {
    const message = (await admit([ref('other')], viewerA)).status?.message ?? '';
    expect(message).toMatch(new RegExp(`^image ${ref('other').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: no valid signature by a trusted key: `));
    expect(message).toMatch(/cosign-(legacy|bundle) signature valid, checked with key:[0-9a-f]{16}…, not a trusted key/);
    expect(message).toMatch(/cosign-(legacy|bundle) signature invalid \(wrong-key: [^;]*\), checked with trusted key:[0-9a-f]{16}…/);
  });

  it('denies an image referenced by tag only: no signature can be checked for it', async () => {
    const answer = await admit([`${registry().host}/app:signed`], viewerA);
    expect(answer.status?.message).toBe(`image ${registry().host}/app:signed: not pinned by digest, cannot check signature (trustedKeys)`);
  });

  it("keeps teams apart: team B's signature does not admit team default's pod, and the other way round", async () => {
    expect((await admit([ref('teamB')], viewerA)).status?.message).toBe(`image ${ref('teamB')}: no signature recorded for ${digests.teamB} (unsigned, or never verified by Bulkhead)`);
    expect((await admit([ref('teamB')], viewerB)).allowed).toBe(true);
    expect((await admit([ref('signed')], viewerB)).allowed).toBe(false);
  });

  it('records each denial with its reasons in the team that asked', async () => {
    await admit([ref('unsigned')], viewerB, 'uid-team-b-unsigned');
    const rows: { team: string; reasons: string[] }[] = await platform.db.dataSource.query(`SELECT team, reasons FROM "${platform.db.schema}".admission_decision WHERE uid = 'uid-team-b-unsigned'`);
    expect(rows).toEqual([{ team: 'team-b', reasons: [expect.stringMatching(/no signature recorded/)] }]);
  });
});
