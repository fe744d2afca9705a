import { startApi, type ApiHandle } from '@bulkhead/api';
import { authHeaders, createTestToken, graphql, graphqlData, silentLogger, useAdminToken } from '@bulkhead/api/testing';
import { builtinPluginPackages } from '@bulkhead/builtin-plugins';
import { ResultWriter } from '@bulkhead/persistence';
import { createTestDatabase, type TestDatabase } from '@bulkhead/persistence/testing';
import { PluginRegistry } from '@bulkhead/plugin-sdk';
import { createRedis, deleteKeysWithPrefix } from '@bulkhead/queue';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

/*
 * The Kubernetes admission webhook (the benchmark plugin's api entry, loaded like any plugin's)
 * on real Postgres and Redis: AdmissionReview v1 requests for clean / vulnerable images,
 * baseline / privileged pods, allowed / unknown registries, workload templates, malformed
 * reviews, dry-run and the endpoint's authentication.
 */

jest.setTimeout(60_000);

const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const digest = (c: string) => `sha256:${c.repeat(64)}`;
const CLEAN_ID = digest('1');
const CLEAN_MANIFEST = digest('2');
const VULN_ID = digest('3');
const VULN_MANIFEST = digest('4');
const CLEAN = `registry.example.com/app/clean@${CLEAN_MANIFEST}`;
const VULNERABLE = `registry.example.com/app/vulnerable@${VULN_MANIFEST}`;

const POLICY = { allowedRegistries: ['registry.example.com'], maxSeverity: 'HIGH', podSecurityLevel: 'baseline', failurePolicy: 'fail-closed' };

function pod(image: string, securityContext: Record<string, unknown> = {}): Record<string, unknown> {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'ns' }, spec: { containers: [{ name: 'c', image, securityContext }] } };
}

function review(kind: string, object: unknown, uid = 'uid-1'): Record<string, unknown> {
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: { uid, kind: { group: '', version: 'v1', kind }, operation: 'CREATE', name: 'p', namespace: 'ns', object },
  };
}

interface ReviewResponse {
  status: number;
  body: { response?: { uid: string; allowed: boolean; status?: { code: number; message: string }; warnings?: string[] }; error?: string };
}

async function post(api: ApiHandle, body: unknown, token?: string | null): Promise<ReviewResponse> {
  const response = await fetch(`${api.url}/admission/validate`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...authHeaders(api.url, token) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as ReviewResponse['body'] };
}

async function startWithPolicy(db: TestDatabase, policyFile: string): Promise<ApiHandle> {
  const api = await startApi({
    registry: new PluginRegistry(),
    plugins: builtinPluginPackages(),
    env: { DATABASE_URL: db.url, DATABASE_SCHEMA: db.schema, REDIS_URL, BULKHEAD_QUEUE_PREFIX: db.schema, BULKHEAD_ADMISSION_POLICY_FILE: policyFile },
    dataSource: db.dataSource,
    port: 0,
    host: '127.0.0.1',
    logger: silentLogger(),
  });
  await useAdminToken(api, db.dataSource);
  return api;
}

describe('admission webhook (POST /admission/validate, real Postgres and Redis)', () => {
  let db: TestDatabase;
  let api: ApiHandle;
  let work: string;
  let viewer: string;

  beforeAll(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'bulkhead-admission-'));
    db = await createTestDatabase('admission');
    const writer = new ResultWriter(db.dataSource, null);
    for (const [id, manifest] of [[CLEAN_ID, CLEAN_MANIFEST], [VULN_ID, VULN_MANIFEST]] as const) {
      await writer.artifact({ digest: id, manifestDigests: [manifest], references: [], size: 1, layers: [], metadata: {} });
    }
    // Stored findings on the image ids (as the scanner stores them): the clean image has one at the policy's maximum, the vulnerable one a CRITICAL.
    await writer.findings([
      { kind: 'scanner', severity: 'HIGH', ruleId: 'CVE-2020-0001', title: 'high', target: CLEAN_ID, fingerprint: 'f1' },
      { kind: 'scanner', severity: 'CRITICAL', ruleId: 'CVE-2020-0002', title: 'critical', target: VULN_ID, fingerprint: 'f2' },
    ]);
    const policyFile = path.join(work, 'policy.json');
    await writeFile(policyFile, JSON.stringify(POLICY));
    api = await startWithPolicy(db, policyFile);
    viewer = (await createTestToken(db.dataSource, 'viewer')).secret;
  });

  afterAll(async () => {
    await api?.close();
    const redis = createRedis(REDIS_URL, 'producer');
    await deleteKeysWithPrefix(redis, db.schema).finally(() => redis.disconnect());
    await db?.drop();
    await rm(work, { recursive: true, force: true });
  });

  it('allows a clean baseline pod from an allowed registry, echoing the uid', async () => {
    const answer = await post(api, review('Pod', pod(CLEAN), 'uid-clean'), viewer);
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: 'uid-clean', allowed: true } });
  });

  it('denies an image with a stored finding above the maximum severity, naming it', async () => {
    const answer = await post(api, review('Pod', pod(VULNERABLE)), viewer);
    expect(answer.body.response).toMatchObject({ allowed: false, status: { code: 403 } });
    expect(answer.body.response?.status?.message).toBe(`image ${VULNERABLE}: 1 CRITICAL open finding(s) above HIGH`);
  });

  it('denies a privileged pod by the Pod Security Standards baseline', async () => {
    const answer = await post(api, review('Pod', pod(CLEAN, { privileged: true })), viewer);
    expect(answer.body.response?.allowed).toBe(false);
    expect(answer.body.response?.status?.message).toMatch(/^violates PodSecurity "baseline:latest": privileged \(container "c" must not set securityContext.privileged=true\)$/);
  });

  it('denies an unknown registry and an image it has no record of, listing every reason', async () => {
    const answer = await post(api, review('Pod', pod(`docker.io/library/nginx@${digest('9')}`)), viewer);
    expect(answer.body.response?.allowed).toBe(false);
    expect(answer.body.response?.status?.message).toBe(
      `image docker.io/library/nginx@${digest('9')}: registry docker.io is not allowed (allowed: registry.example.com); image docker.io/library/nginx@${digest('9')}: never scanned by Bulkhead (unknownImages: deny)`,
    );
    const short = await post(api, review('Pod', pod('nginx:1.27')), viewer);
    expect(short.body.response?.status?.message).toMatch(/^image nginx:1.27: registry docker.io is not allowed .*; image nginx:1.27: not pinned by digest/);
  });

  it('judges the pod template of each workload kind', async () => {
    const template = { metadata: {}, spec: { containers: [{ name: 'c', image: VULNERABLE }] } };
    const objects: Record<string, unknown> = {
      Deployment: { spec: { template } },
      StatefulSet: { spec: { template } },
      DaemonSet: { spec: { template } },
      ReplicaSet: { spec: { template } },
      Job: { spec: { template } },
      CronJob: { spec: { jobTemplate: { spec: { template } } } },
    };
    for (const [kind, object] of Object.entries(objects)) {
      const answer = await post(api, review(kind, object), viewer);
      expect([kind, answer.body.response?.allowed]).toEqual([kind, false]);
    }
    // A kind the webhook does not judge is allowed.
    expect((await post(api, review('ConfigMap', { data: {} }), viewer)).body.response?.allowed).toBe(true);
  });

  it('answers a malformed AdmissionReview with 400 and the reason', async () => {
    expect(await post(api, '{not json', viewer)).toMatchObject({ status: 400, body: { error: expect.stringMatching(/^malformed AdmissionReview: not JSON/) } });
    expect(await post(api, { apiVersion: 'admission.k8s.io/v1beta1', kind: 'AdmissionReview', request: {} }, viewer)).toEqual({
      status: 400,
      body: { error: 'malformed AdmissionReview: apiVersion: "admission.k8s.io/v1beta1" is not admission.k8s.io/v1' },
    });
    expect((await post(api, review('Pod', { spec: { containers: [{ name: 'c' }] } }), viewer)).body.error).toBe(
      'malformed AdmissionReview: request.object.spec.containers: not a list of containers each with an image string',
    );
    expect((await post(api, { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { kind: { kind: 'Pod' } } }, viewer)).body.error).toBe(
      'malformed AdmissionReview: request.uid: missing or not a string of 1..128 characters',
    );
  });

  it('needs an API token: none → 401; a viewer token of the team is enough', async () => {
    const anonymous = await fetch(`${api.url}/admission/validate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(review('Pod', pod(CLEAN))) });
    expect(anonymous.status).toBe(401);
    expect((await post(api, review('Pod', pod(CLEAN)), viewer)).status).toBe(200);
  });

  it('records denials in the plugin table, within the team', async () => {
    const rows: { outcome: string; kind: string; team: string }[] = await db.dataSource.query(`SELECT outcome, kind, team FROM "${db.schema}".admission_decision WHERE uid = 'uid-1' ORDER BY id`);
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((r) => r.outcome === 'denied' && r.team === 'default')).toBe(true);
  });

  it('admissionDecisions: the team\'s decisions newest first, filtered, keyset paginated; other teams see none; bad paging is BAD_USER_INPUT', async () => {
    type Page = { admissionDecisions: { totalCount: number; pageInfo: { hasNextPage: boolean; endCursor: string | null }; edges: { node: { id: string; uid: string; kind: string; namespace: string; outcome: string; allowed: boolean; reasons: string[]; at: string } }[] } };
    const query = 'query($f: AdmissionDecisionFilter, $first: Int, $after: String) { admissionDecisions(filter: $f, first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { id uid kind namespace outcome allowed reasons at } } } }';
    for (const uid of ['uid-list-1', 'uid-list-2']) await post(api, review('Pod', pod(VULNERABLE), uid), viewer);
    const stored: { n: string }[] = await db.dataSource.query(`SELECT count(*)::text AS n FROM "${db.schema}".admission_decision WHERE team = 'default'`);
    const all = await graphqlData<Page>(api.url, query, { first: 500 }, { token: viewer });
    expect(all.admissionDecisions.totalCount).toBe(Number(stored[0]?.n));
    expect(all.admissionDecisions.edges.length).toBe(all.admissionDecisions.totalCount);
    const nodes = all.admissionDecisions.edges.map((e) => e.node);
    expect(nodes.every((n) => n.outcome === 'denied' && !n.allowed && n.namespace === 'ns' && n.reasons.length > 0)).toBe(true);
    // Newest first, ties broken by id.
    expect([...nodes].sort((a, b) => b.at.localeCompare(a.at) || Number(b.id) - Number(a.id)).map((n) => n.id)).toEqual(nodes.map((n) => n.id));
    // One at a time with endCursor: the same decisions in the same order, no repeats.
    const walked: string[] = [];
    let after: string | null = null;
    for (;;) {
      const page: Page = await graphqlData<Page>(api.url, query, { first: 1, after }, { token: viewer });
      walked.push(...page.admissionDecisions.edges.map((e) => e.node.id));
      if (!page.admissionDecisions.pageInfo.hasNextPage) break;
      after = page.admissionDecisions.pageInfo.endCursor;
    }
    expect(walked).toEqual(nodes.map((n) => n.id));
    // Filters: allowed, namespace, since.
    expect((await graphqlData<Page>(api.url, query, { f: { allowed: true } }, { token: viewer })).admissionDecisions.totalCount).toBe(0);
    expect((await graphqlData<Page>(api.url, query, { f: { allowed: false, namespace: 'ns' } }, { token: viewer })).admissionDecisions.totalCount).toBe(nodes.length);
    expect((await graphqlData<Page>(api.url, query, { f: { namespace: 'other' } }, { token: viewer })).admissionDecisions.totalCount).toBe(0);
    const newest = nodes[0]?.at ?? '';
    expect((await graphqlData<Page>(api.url, query, { f: { since: newest } }, { token: viewer })).admissionDecisions.edges.every((e) => e.node.at >= newest)).toBe(true);
    expect((await graphqlData<Page>(api.url, query, { f: { since: new Date(Date.now() + 60_000).toISOString() } }, { token: viewer })).admissionDecisions.totalCount).toBe(0);
    // Another team's viewer sees nothing of team default's.
    const other = (await createTestToken(db.dataSource, 'viewer', 'team-other')).secret;
    expect((await graphqlData<Page>(api.url, query, {}, { token: other })).admissionDecisions).toMatchObject({ totalCount: 0, edges: [] });
    // Hostile paging: a forged cursor, an injection attempt, a page size out of range (above 500 the host's request limits refuse it first).
    for (const [variables, field] of [[{ after: 'x' }, 'after'], [{ after: Buffer.from("2026-01-01T00:00:00.000Z|1 OR 1=1").toString('base64url') }, 'after'], [{ first: 0 }, 'first'], [{ first: 501 }, 'first']] as const) {
      const bad = await graphql(api.url, query, variables, { token: viewer });
      expect({ field, code: bad.errors?.[0]?.extensions?.['code'], message: bad.errors?.[0]?.message }).toEqual({ field, code: 'BAD_USER_INPUT', message: expect.stringMatching(new RegExp(`\\b${field}\\b`)) });
    }
  });
});

describe('admission webhook in dry-run and with a refused rule', () => {
  let db: TestDatabase;
  let work: string;

  beforeAll(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'bulkhead-admission-'));
    db = await createTestDatabase('admission_dry');
  });

  afterAll(async () => {
    const redis = createRedis(REDIS_URL, 'producer');
    await deleteKeysWithPrefix(redis, db.schema).finally(() => redis.disconnect());
    await db?.drop();
    await rm(work, { recursive: true, force: true });
  });

  it('dry-run allows what it would deny, warns and records it', async () => {
    const policyFile = path.join(work, 'dry.json');
    await writeFile(policyFile, JSON.stringify({ podSecurityLevel: 'baseline', dryRun: true }));
    const api = await startWithPolicy(db, policyFile);
    try {
      const answer = await post(api, review('Pod', pod('nginx:1.27', { privileged: true }), 'uid-dry'));
      expect(answer.body.response).toMatchObject({ uid: 'uid-dry', allowed: true });
      expect(answer.body.response?.warnings?.[0]).toMatch(/^bulkhead admission \(dry-run\) would deny: violates PodSecurity "baseline:latest": privileged/);
      const rows: { outcome: string; allowed: boolean; reasons: string[] }[] = await db.dataSource.query(`SELECT outcome, allowed, reasons FROM "${db.schema}".admission_decision WHERE uid = 'uid-dry'`);
      expect(rows).toEqual([{ outcome: 'dry-run', allowed: true, reasons: [expect.stringMatching(/^violates PodSecurity "baseline:latest"/)] }]);
    } finally {
      await api.close();
    }
  });

  it('a `kubectl --dry-run=server` request is decided but not recorded', async () => {
    const policyFile = path.join(work, 'enforce.json');
    await writeFile(policyFile, JSON.stringify({ podSecurityLevel: 'baseline' }));
    const api = await startWithPolicy(db, policyFile);
    try {
      const body = review('Pod', pod('nginx:1.27', { privileged: true }), 'uid-kubectl-dry');
      (body['request'] as Record<string, unknown>)['dryRun'] = true;
      expect((await post(api, body)).body.response?.allowed).toBe(false);
      expect(await db.dataSource.query(`SELECT 1 FROM "${db.schema}".admission_decision WHERE uid = 'uid-kubectl-dry'`)).toEqual([]);
    } finally {
      await api.close();
    }
  });

  it('when the store cannot answer: fail-closed denies, fail-open allows with a warning; both record the error', async () => {
    for (const failurePolicy of ['fail-closed', 'fail-open'] as const) {
      const policyFile = path.join(work, `${failurePolicy}.json`);
      await writeFile(policyFile, JSON.stringify({ maxSeverity: 'HIGH', failurePolicy }));
      const api = await startWithPolicy(db, policyFile);
      // A real failure of the store: the table the image lookup reads is gone (this suite's own schema).
      await db.dataSource.query(`ALTER TABLE "${db.schema}".artifact RENAME TO artifact_away`);
      try {
        const answer = await post(api, review('Pod', pod(`registry.example.com/a@${digest('5')}`), `uid-${failurePolicy}`));
        expect(answer.status).toBe(200);
        if (failurePolicy === 'fail-closed') {
          expect(answer.body.response).toMatchObject({ allowed: false, status: { message: expect.stringMatching(/^bulkhead admission could not decide: /) } });
        } else {
          expect(answer.body.response).toMatchObject({ allowed: true, warnings: [expect.stringMatching(/^bulkhead admission could not decide: .* \(fail-open: allowed\)$/)] });
        }
        const rows = await db.dataSource.query(`SELECT outcome, allowed FROM "${db.schema}".admission_decision WHERE uid = $1`, [`uid-${failurePolicy}`]);
        expect(rows).toEqual([{ outcome: 'error', allowed: failurePolicy === 'fail-open' }]);
      } finally {
        await db.dataSource.query(`ALTER TABLE "${db.schema}".artifact_away RENAME TO artifact`);
        await api.close();
      }
    }
  });

  it('refuses trustedKeys when no loaded plugin provides imageSignatures, an unreadable key, and a policy file it cannot read, at start-up, naming the problem', async () => {
    const policyFile = path.join(work, 'signed.json');
    // The API's registry here holds no plugin (so none provides imageSignatures), though the packages' api entries load.
    await writeFile(policyFile, JSON.stringify({ trustedKeys: [`key:${'a'.repeat(64)}`], podSecurityLevel: 'baseline' }));
    await expect(startWithPolicy(db, policyFile)).rejects.toThrow(/trustedKeys: no loaded plugin provides imageSignatures .*: load the signer plugin, or remove the rule/);
    await writeFile(policyFile, JSON.stringify({ trustedKeys: ['cosign.pub'] }));
    await expect(startWithPolicy(db, policyFile)).rejects.toThrow(/trustedKeys\.0: is neither a PEM public key nor a key fingerprint/);
    await writeFile(policyFile, JSON.stringify({ maxSeverity: 'SEVERE' }));
    await expect(startWithPolicy(db, policyFile)).rejects.toThrow(/maxSeverity: /);
    await expect(startWithPolicy(db, path.join(work, 'absent.json'))).rejects.toThrow(/cannot read it/);
  });
});
