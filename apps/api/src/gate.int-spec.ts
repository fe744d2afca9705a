import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { graphql, graphqlData, startTestPlatform, type TestPlatform } from '@bulkhead/api/testing';
import { builtinPluginPackages, registryOf } from '@bulkhead/builtin-plugins';
import { RegistryClient, parseRegistryReference } from '@bulkhead/oci';
import { testImageBuilder } from '@bulkhead/oci/testing';
import { describeWithRegistry, sharedPath } from '@bulkhead/testing';

/*
 * The promotion gate through GraphQL and BullMQ, with the API and a worker in this process (as
 * `bulkhead serve` runs them) on real Postgres, Redis and a registry: promoteImage queues the
 * promote-image flow; its children (the scanner's scan-image, the benchmark's image-config) run
 * as tasks of their own, the parent runs after them and signs with a server key only when the
 * policy passes. The decision is recorded and explains itself (rule, advisory, finding id).
 */
jest.setTimeout(180_000);

const MASTER_KEY = randomBytes(32).toString('base64');
const WORKER_ENV = ['BULKHEAD_SIGNER_MASTER_KEY', 'BULKHEAD_REGISTRY_ALLOWED_HOSTS', 'BULKHEAD_REGISTRY_ALLOW_PRIVATE'] as const;

interface TaskView {
  id: string;
  status: string;
  error: string | null;
  result: Record<string, unknown> | null;
}
interface PromotionView {
  id: string;
  ref: string;
  digest: string | null;
  decision: string;
  reasons: { rule: string; detail: string; findingId: string | null }[];
  signed: boolean;
  signatureId: string | null;
  notSignedReason: string | null;
  summary: Record<string, number>;
}
const PROMOTION_FIELDS = 'id ref digest decision reasons { rule detail findingId } signed signatureId notSignedReason summary policy decidedAt';

const osv = sharedPath('vulndata', 'ghsa-npm', 'osv');

describeWithRegistry('promotion gate through GraphQL and a worker', (registry) => {
  let platform: TestPlatform;
  let work: string;
  const saved: Partial<Record<(typeof WORKER_ENV)[number], string | undefined>> = {};
  const ref = (tag: string) => `${registry().host}/gate/app:${tag}`;
  let keyId: string;
  let publicKey: string;

  async function waitForTask(id: string): Promise<TaskView> {
    const deadline = Date.now() + 120_000;
    for (;;) {
      const { task } = await graphqlData<{ task: TaskView }>(platform.api.url, 'query($id: ID!) { task(id: $id) { id status error result } }', { id });
      if (['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(task.status)) return task;
      if (Date.now() > deadline) throw new Error(`task ${id} still ${task.status}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async function promote(tag: string, policy: unknown): Promise<{ task: TaskView; promotion: PromotionView }> {
    const { promoteImage } = await graphqlData<{ promoteImage: { id: string; type: string; kind: string } }>(
      platform.api.url,
      'mutation($ref: String!, $policy: JSON!, $key: String) { promoteImage(ref: $ref, policy: $policy, keyId: $key) { id kind type } }',
      { ref: ref(tag), policy, key: keyId },
    );
    expect(promoteImage).toMatchObject({ kind: 'SIGNER', type: 'promote-image' });
    const task = await waitForTask(promoteImage.id);
    const { promotion } = await graphqlData<{ promotion: PromotionView }>(platform.api.url, `query($id: ID!) { promotion(id: $id) { ${PROMOTION_FIELDS} } }`, { id: promoteImage.id });
    return { task, promotion };
  }

  async function verify(tag: string): Promise<TaskView> {
    const { verifyImage } = await graphqlData<{ verifyImage: { id: string } }>(platform.api.url, 'mutation($ref: String!, $key: String) { verifyImage(ref: $ref, publicKey: $key) { id } }', { ref: ref(tag), key: publicKey });
    return waitForTask(verifyImage.id);
  }

  beforeAll(async () => {
    if (!osv) throw new Error('needs ../shared/vulndata (BULKHEAD_SHARED_DIR)');
    for (const name of WORKER_ENV) saved[name] = process.env[name];
    process.env['BULKHEAD_SIGNER_MASTER_KEY'] = MASTER_KEY;
    process.env['BULKHEAD_REGISTRY_ALLOWED_HOSTS'] = registry().host;
    process.env['BULKHEAD_REGISTRY_ALLOW_PRIVATE'] = 'true';
    const packages = builtinPluginPackages();
    platform = await startTestPlatform({ label: 'api_gate', registry: registryOf(packages), plugins: packages, kinds: ['signer', 'scanner', 'benchmark'], env: { BULKHEAD_SIGNER_MASTER_KEY: MASTER_KEY } });
    // Advisories into the platform's store (the scanner's importAdvisories task).
    const { importAdvisories } = await graphqlData<{ importAdvisories: { id: string } }>(platform.api.url, 'mutation($p: [String!]!) { importAdvisories(paths: $p) { id } }', { p: [osv] });
    expect(await waitForTask(importAdvisories.id)).toMatchObject({ status: 'SUCCEEDED' });
    // Two images: lodash 4.17.11 (CVE-2019-10744, CRITICAL) and 4.17.21, pushed with the registry client.
    work = mkdtempSync(path.join(tmpdir(), 'bh-gate-api-'));
    const client = new RegistryClient();
    try {
      const payload = { name: 'usr/share/app/data.bin', content: randomBytes(256 * 1024) };
      for (const [tag, version] of [['vuln', '4.17.11'], ['clean', '4.17.21']] as const) {
        const layout = path.join(work, tag);
        await testImageBuilder.writeOciLayout(layout, [
          { ref: 'app', layers: [{ entries: [{ name: 'etc/os-release', content: 'ID=debian\nVERSION_ID="12"\n' }, payload, { name: 'app/node_modules/lodash/package.json', content: JSON.stringify({ name: 'lodash', version }) }] }] },
        ]);
        await pushLayout(client, layout, tag);
      }
    } finally {
      client.close();
    }
    const { createSigningKey } = await graphqlData<{ createSigningKey: { id: string; publicKey: string } }>(platform.api.url, 'mutation { createSigningKey(name: "release") { id publicKey } }');
    ({ id: keyId, publicKey } = createSigningKey);
  });

  async function pushLayout(client: RegistryClient, layout: string, tag: string): Promise<void> {
    const { readFile } = await import('node:fs/promises');
    const blob = (digest: string) => readFile(path.join(layout, 'blobs', ...digest.split(':')));
    const index = JSON.parse(await readFile(path.join(layout, 'index.json'), 'utf8')) as { manifests: { digest: string; mediaType: string }[] };
    const manifestBytes = await blob(index.manifests[0]!.digest);
    const manifest = JSON.parse(manifestBytes.toString('utf8')) as { config: { digest: string; size: number }; layers: { digest: string; size: number }[] };
    const repo = parseRegistryReference(ref(tag));
    for (const d of [manifest.config, ...manifest.layers]) await client.pushBlob(repo, await blob(d.digest), d.digest, d.size);
    await client.putManifest(repo, tag, manifestBytes, index.manifests[0]!.mediaType);
  }

  afterAll(async () => {
    await platform?.stop();
    for (const name of WORKER_ENV) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('a CRITICAL finding fails the gate: the decision names rule, advisory and stored finding; nothing is signed', async () => {
    const { task, promotion } = await promote('vuln', { maxSeverity: 'HIGH' });
    expect(task).toMatchObject({ status: 'SUCCEEDED', error: null });
    // The children ran as tasks of their own, recorded as the gate's children.
    const children: { kind: string; type: string; status: string }[] = await platform.db.dataSource.query('SELECT kind, type, status FROM task WHERE parent_task_id = $1 ORDER BY kind', [task.id]);
    expect(children).toEqual([
      { kind: 'benchmark', type: 'image-config', status: 'SUCCEEDED' },
      { kind: 'scanner', type: 'scan-image', status: 'SUCCEEDED' },
    ]);
    expect(promotion).toMatchObject({ id: task.id, ref: ref('vuln'), decision: 'FAIL', signed: false, signatureId: null, notSignedReason: 'the policy failed', digest: expect.stringMatching(/^sha256:/) });
    const [reason] = promotion.reasons;
    expect(reason).toMatchObject({ rule: 'maxSeverity', detail: 'CRITICAL CVE-2019-10744 in lodash 4.17.11 is above HIGH (fixed in 4.17.12)' });
    // The reason names the stored finding.
    const [finding] = await platform.db.dataSource.query('SELECT rule_id, severity, target FROM finding WHERE id = $1', [reason?.findingId]);
    expect(finding).toEqual({ rule_id: 'CVE-2019-10744', severity: 'CRITICAL', target: promotion.digest });
    expect(await verify('vuln')).toMatchObject({ status: 'SUCCEEDED', result: { verified: false } });
  });

  it('a passing image is signed with the server key, and the signature verifies', async () => {
    const { task, promotion } = await promote('clean', { maxSeverity: 'HIGH', benchmark: { maxFailures: 100 } });
    expect(task.status).toBe('SUCCEEDED');
    expect(promotion).toMatchObject({ decision: 'PASS', reasons: [], signed: true, signatureId: expect.stringMatching(/^sha256:/), notSignedReason: null });
    expect(await verify('clean')).toMatchObject({ status: 'SUCCEEDED', result: { verified: true } });
    // requiredSigners: the team key that just signed satisfies it.
    const again = await promote('clean', { maxSeverity: 'HIGH', requiredSigners: ['release'] });
    expect(again.promotion).toMatchObject({ decision: 'PASS' });
    const { signingKeys } = await graphqlData<{ signingKeys: { name: string; fingerprint: string }[] }>(platform.api.url, '{ signingKeys { name fingerprint } }');
    const fingerprint = signingKeys.find((k) => k.name === 'release')?.fingerprint;
    expect((await promote('clean', { maxSeverity: 'HIGH', requiredSigners: [`key:${fingerprint}`] })).promotion).toMatchObject({ decision: 'PASS' });
    const missing = await promote('clean', { maxSeverity: 'HIGH', requiredSigners: ['nobody'] });
    expect(missing.promotion.reasons).toEqual([{ rule: 'requiredSigners', detail: 'no valid signature by nobody: no such signing key in this team', findingId: null }]);
    // A passing image with a key the team does not have: the decision stands, unsigned, saying why.
    const { promoteImage } = await graphqlData<{ promoteImage: { id: string } }>(platform.api.url, 'mutation($ref: String!) { promoteImage(ref: $ref, policy: { maxSeverity: CRITICAL }, keyId: "no-such-key") { id } }', {
      ref: ref('clean'),
    });
    expect(await waitForTask(promoteImage.id)).toMatchObject({ status: 'SUCCEEDED' });
    const unsigned = await graphqlData<{ promotion: PromotionView }>(platform.api.url, 'query($id: ID!) { promotion(id: $id) { decision signed notSignedReason } }', { id: promoteImage.id });
    expect(unsigned.promotion).toEqual({ decision: 'PASS', signed: false, notSignedReason: 'keyId: no signing key no-such-key in this team' });
  });

  it('promotions lists the decisions newest first, filtered by decision', async () => {
    const { promotions } = await graphqlData<{ promotions: PromotionView[] }>(platform.api.url, '{ promotions(decision: FAIL) { ref decision } }');
    expect(promotions[0]).toEqual({ ref: ref('clean'), decision: 'FAIL' });
    expect(promotions.map((p) => p.ref)).toContain(ref('vuln'));
    const all = await graphqlData<{ promotions: PromotionView[] }>(platform.api.url, '{ promotions(first: 2) { decision } }');
    expect(all.promotions).toHaveLength(2);
  });

  it('refuses a bad policy naming the field, a viewer, and another team sees nothing', async () => {
    const bad = await graphql(platform.api.url, 'mutation($p: JSON!) { promoteImage(ref: "x/y:1", policy: $p) { id } }', { p: { maxSeverty: 'HIGH' } });
    expect(bad.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
    expect(bad.errors?.[0]?.message).toMatch(/unknown key\(s\) maxSeverty/);
    const viewer = await platform.createToken('viewer');
    const forbidden = await graphql(platform.api.url, 'mutation { promoteImage(ref: "x/y:1", policy: {}) { id } }', {}, { token: viewer.secret });
    expect(forbidden.errors?.[0]?.extensions?.['code']).toBe('FORBIDDEN');
    const other = await platform.createToken('viewer', 'other-team');
    const seen = await graphqlData<{ promotions: unknown[] }>(platform.api.url, '{ promotions { id } }', {}, { token: other.secret });
    expect(seen.promotions).toEqual([]);
  });
});
