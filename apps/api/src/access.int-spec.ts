import { collectSubscription, graphql, graphqlData, startTestPlatform, subscriptionClient, type GraphqlResponse, type TestPlatform } from '@bulkhead/api/testing';
import { builtinPluginPackages, registryOf } from '@bulkhead/builtin-plugins';
import { generateCosignKeyPair } from '@bulkhead/signing';
import { generateKeyPairSync } from 'node:crypto';
import { buildClientSchema, getIntrospectionQuery, getNamedType, isLeafType, type GraphQLField, type GraphQLObjectType, type IntrospectionQuery } from 'graphql';
import { createClient } from 'graphql-ws';
import { mkdirSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';

/*
 * Identity and access against the real API (every built-in plugin's api entry), worker, Postgres
 * and Redis: each role on every mutation of the schema (a mutation added without an entry here
 * fails the test), no / bad / revoked / expired tokens on every operation and every plugin HTTP
 * route, graphql-ws connection_init, and the audit log.
 */

jest.setTimeout(120_000);

type Role = 'viewer' | 'operator' | 'admin';
const ROLES: readonly Role[] = ['viewer', 'operator', 'admin'];
const allows = (role: Role, needed: Role) => ROLES.indexOf(role) >= ROLES.indexOf(needed);

const PRIVILEGED_POD = `apiVersion: v1
kind: Pod
metadata:
  name: priv
spec:
  containers:
    - name: app
      image: nginx:1.25
      securityContext:
        privileged: true
`;

const SYSCALL_RULES = `
- rule: Shell in container
  desc: a shell ran in a container
  condition: evt.type = execve and proc.name = bash and container.id != host
  output: Shell in container (container=%container.id)
  priority: NOTICE
`;

const FALCO_ALERT = {
  hostname: 'node-1',
  output: 'Warning Sensitive file opened (file=/etc/shadow)',
  priority: 'Warning',
  rule: 'Read sensitive file untrusted',
  source: 'syscall',
  tags: ['filesystem'],
  time: '2024-05-02T10:20:05.408091526Z',
  output_fields: { 'container.id': '3ad2d2e7c2f1', 'fd.name': '/etc/shadow' },
};

/** Each plugin HTTP route with a body it accepts (POST). */
const ROUTES: Record<string, { body: string; contentType: string; status?: number; viewer?: boolean }> = {
  '/k8s-audit': { body: JSON.stringify({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1', items: [] }), contentType: 'application/json' },
  '/events': { body: '', contentType: 'application/x-ndjson' },
  '/falco-alerts': { body: JSON.stringify(FALCO_ALERT), contentType: 'application/json' },
  '/uploads': { body: '{"uploaded":true}', contentType: 'application/json', status: 201 },
  // Harbor's scan request: an empty one reaches the route and is refused 422 (registry.url is required).
  '/harbor/api/v1/scan': { body: '{}', contentType: 'application/vnd.scanner.adapter.scan.request+json; version=1.1', status: 422 },
  // The admission webhook (the suite sets a policy; its token is a viewer's): a DELETE is allowed without a decision.
  '/admission/validate': {
    viewer: true,
    body: JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { uid: 'access', kind: { kind: 'Pod' }, operation: 'DELETE', name: 'p', namespace: 'ns' } }),
    contentType: 'application/json',
  },
};

/** A new public key (PEM) for addAdmissionTrustedKey. */
const newPublicKey = (): string => generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }) as string;

const codes = (result: GraphqlResponse<unknown>): string[] => (result.errors ?? []).map((e) => String(e.extensions?.['code']));

describe('identity and access', () => {
  let platform: TestPlatform;
  let url: string;
  let work: string;
  /** An existing (empty) folder under the suite's temp dir: server inputs must exist to be queued. */
  const folder = (name: string): string => {
    const dir = path.join(work, name);
    mkdirSync(dir, { recursive: true });
    return dir;
  };
  const tokens = {} as Record<Role, string>;
  let findingId: string;
  let sequence = 0;
  const unique = () => `${Date.now()}-${sequence++}`;

  beforeAll(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'bh-access-'));
    await writeFile(path.join(work, 'pod.yaml'), PRIVILEGED_POD);
    await writeFile(path.join(work, 'rules.yaml'), SYSCALL_RULES);
    await writeFile(path.join(work, 'advisories.jsonl'), '');
    // The admission webhook with keys from the API (addAdmissionTrustedKey works only with apiTrustedKeys).
    await writeFile(path.join(work, 'admission.json'), JSON.stringify({ podSecurityLevel: 'baseline', apiTrustedKeys: true }));
    const plugins = builtinPluginPackages();
    platform = await startTestPlatform({ label: 'api_access', registry: registryOf(plugins), plugins, kinds: ['benchmark'], env: { BULKHEAD_RUNTIME_RULES: path.join(work, 'rules.yaml'), BULKHEAD_WS_TOKEN_RECHECK_MS: '200', BULKHEAD_ADVISORY_FEEDS: 'http://127.0.0.1:9/osv/all.zip', BULKHEAD_SIGNER_MASTER_KEY: Buffer.alloc(32, 7).toString('base64'), BULKHEAD_NOTIFY_ALLOWED_HOSTS: 'hooks.example.com', BULKHEAD_ADMISSION_POLICY_FILE: path.join(work, 'admission.json') } });
    url = platform.api.url;
    cosignKeyPem = (await generateCosignKeyPair('')).privateKeyPem;
    for (const role of ROLES) tokens[role] = (await platform.createToken(role)).secret;
    // A finding to suppress: a real benchmark run over the privileged pod.
    const { runBenchmark } = await graphqlData<{ runBenchmark: { id: string } }>(url, 'mutation($t: String!) { runBenchmark(target: $t, profile: "pss-baseline") { id } }', { t: work });
    const updates = await collectSubscription<{ taskUpdated: { status: string } }>(platform.ws, 'subscription($id: ID!) { taskUpdated(id: $id) { status } }', { id: runBenchmark.id });
    expect(updates.at(-1)?.taskUpdated.status).toBe('SUCCEEDED');
    const { findings } = await graphqlData<{ findings: { edges: { node: { id: string } }[] } }>(url, 'query($id: ID) { findings(filter: { taskId: $id }, first: 1) { edges { node { id } } } }', { id: runBenchmark.id });
    findingId = findings.edges[0]?.node.id ?? '';
    expect(findingId).not.toBe('');
  });

  afterAll(async () => {
    await platform?.stop();
    await rm(work, { recursive: true, force: true });
  });

  /** A queued scanner task (the worker here serves benchmarks only, so it stays QUEUED). */
  const queuedTask = async (): Promise<string> =>
    (await graphqlData<{ scanImage: { id: string } }>(url, 'mutation($s: String!) { scanImage(source: $s) { id } }', { s: `oci:${folder(`image-${unique()}`)}` })).scanImage.id;

  /** A cosign.key (empty password) for importSigningKey, and a server key for signImage. */
  let cosignKeyPem = '';
  let keyId: string | undefined;
  const signingKeyId = async (): Promise<string> =>
    (keyId ??= (await graphqlData<{ createSigningKey: { id: string } }>(url, 'mutation { createSigningKey(name: "access-test") { id } }')).createSigningKey.id);

  /** A new schedule (nightly, so it never fires during the test), created as admin. */
  const CREATE_SCHEDULE = 'mutation($i: JSON!) { createSchedule(kind: BENCHMARK, type: "k8s-manifests", input: $i, cron: "0 3 * * *") { id } }';
  const scheduleId = async (): Promise<string> =>
    (await graphqlData<{ createSchedule: { id: string } }>(url, CREATE_SCHEDULE, { i: { paths: [work], checks: ['pss'] } })).createSchedule.id;
  const onSchedule = (name: string, selection: string) => async (token: string) =>
    graphql(url, `mutation($id: ID!) { ${name}(id: $id) ${selection} }`, { id: await scheduleId() }, { token });

  /** Every mutation of the schema: the role it needs and a call that works for that role. */
  const MUTATIONS: Record<string, { role: Role; call: (token: string) => Promise<GraphqlResponse<unknown>> }> = {
    submitTask: {
      role: 'operator',
      call: (token) => graphql(url, 'mutation($i: JSON!) { submitTask(kind: SCANNER, type: "scan-image", input: $i) { id } }', { i: { source: `oci:${folder(`submit-${unique()}`)}` } }, { token }),
    },
    submitTasks: {
      role: 'operator',
      call: (token) =>
        graphql(url, 'mutation($t: [TaskSubmission!]!) { submitTasks(tasks: $t) { id } }', { t: [{ kind: 'SCANNER', type: 'scan-image', input: { source: `oci:${folder(`submits-${unique()}`)}` } }] }, { token }),
    },
    scanImage: { role: 'operator', call: (token) => graphql(url, 'mutation($s: String!) { scanImage(source: $s) { id } }', { s: `oci:${folder(`scan-${unique()}`)}` }, { token }) },
    cancelTask: { role: 'operator', call: async (token) => graphql(url, 'mutation($id: ID!) { cancelTask(id: $id) { status } }', { id: await queuedTask() }, { token }) },
    // This worker serves no runtime queue: the canary times out (a result, not an error) and is cancelled.
    probeTask: { role: 'operator', call: (token) => graphql(url, 'mutation { probeTask(label: "access", timeoutMs: 200) { succeeded } }', {}, { token }) },
    suppressFinding: { role: 'operator', call: (token) => graphql(url, 'mutation($id: ID!) { suppressFinding(id: $id) { status } }', { id: findingId }, { token }) },
    unsuppressFinding: { role: 'operator', call: (token) => graphql(url, 'mutation($id: ID!) { unsuppressFinding(id: $id) { status } }', { id: findingId }, { token }) },
    runBenchmark: { role: 'operator', call: (token) => graphql(url, 'mutation($t: String!) { runBenchmark(target: $t, profile: "pss-restricted") { id } }', { t: work }, { token }) },
    deleteUpload: {
      role: 'operator',
      call: async (token) => {
        const sent = await fetch(`${url}/uploads`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${platform.adminToken}` }, body: '{}' });
        return graphql(url, 'mutation($id: ID!) { deleteUpload(id: $id) }', { id: ((await sent.json()) as { id: string }).id }, { token });
      },
    },
    promoteImage: {
      role: 'operator',
      call: (token) => graphql(url, 'mutation($r: String!) { promoteImage(ref: $r, policy: { maxSeverity: HIGH }) { id } }', { r: `oci:${folder(`promote-${unique()}`)}` }, { token }),
    },
    importAdvisories: { role: 'operator', call: (token) => graphql(url, 'mutation($p: [String!]!) { importAdvisories(paths: $p) { id } }', { p: [path.join(work, 'advisories.jsonl')] }, { token }) },
    updateAdvisories: { role: 'admin', call: (token) => graphql(url, 'mutation { updateAdvisories { id } }', {}, { token }) },
    createApiToken: { role: 'admin', call: (token) => graphql(url, 'mutation { createApiToken(name: "made-by-test", role: viewer, expiresIn: "1d") { token { id team role expiresAt } secret } }', {}, { token }) },
    revokeApiToken: {
      role: 'admin',
      call: async (token) => graphql(url, 'mutation($id: ID!) { revokeApiToken(id: $id) { revokedAt } }', { id: (await platform.createToken('viewer')).id }, { token }),
    },
    // The signer's (its tasks stay QUEUED: this worker serves benchmarks only).
    createSigningKey: { role: 'admin', call: (token) => graphql(url, 'mutation($n: String!) { createSigningKey(name: $n) { id } }', { n: `k-${unique()}` }, { token }) },
    importSigningKey: {
      role: 'admin',
      call: (token) => graphql(url, 'mutation($n: String!, $k: String!) { importSigningKey(name: $n, cosignKey: $k, password: "") { id } }', { n: `i-${unique()}`, k: cosignKeyPem }, { token }),
    },
    signImage: {
      role: 'operator',
      call: async (token) => graphql(url, 'mutation($k: ID!) { signImage(ref: "127.0.0.1:5000/app:1", keyId: $k) { id } }', { k: await signingKeyId() }, { token }),
    },
    createSchedule: { role: 'operator', call: (token) => graphql(url, CREATE_SCHEDULE, { i: { paths: [work], checks: ['pss'] } }, { token }) },
    updateSchedule: { role: 'operator', call: onSchedule('updateSchedule', '{ id }') },
    pauseSchedule: { role: 'operator', call: onSchedule('pauseSchedule', '{ paused }') },
    resumeSchedule: { role: 'operator', call: onSchedule('resumeSchedule', '{ id }') },
    deleteSchedule: { role: 'operator', call: onSchedule('deleteSchedule', '') },
    verifyImage: { role: 'operator', call: (token) => graphql(url, 'mutation { verifyImage(ref: "127.0.0.1:5000/app:1") { id } }', {}, { token }) },
    // Notification channels (no delivery happens: no rule is enabled).
    createNotificationChannel: {
      role: 'operator',
      call: (token) => graphql(url, 'mutation($n: String!) { createNotificationChannel(name: $n, kind: SLACK, url: "https://hooks.example.com/services/x") { id } }', { n: `c-${unique()}` }, { token }),
    },
    updateNotificationChannel: {
      role: 'operator',
      call: async (token) => graphql(url, 'mutation($id: ID!, $n: String!) { updateNotificationChannel(id: $id, name: $n, kind: SLACK, url: "https://hooks.example.com/services/y") { id } }', { id: await notificationChannelId(), n: `u-${unique()}` }, { token }),
    },
    deleteNotificationChannel: {
      role: 'operator',
      call: async (token) => graphql(url, 'mutation($id: ID!) { deleteNotificationChannel(id: $id) { id } }', { id: await notificationChannelId() }, { token }),
    },
    // The admission webhook's trusted keys (benchmark plugin).
    addAdmissionTrustedKey: {
      role: 'admin',
      call: (token) => graphql(url, 'mutation($n: String!, $k: String!) { addAdmissionTrustedKey(name: $n, publicKey: $k) { fingerprint } }', { n: `t-${unique()}`, k: newPublicKey() }, { token }),
    },
    removeAdmissionTrustedKey: {
      role: 'admin',
      call: async (token) => {
        const added = await graphqlData<{ addAdmissionTrustedKey: { fingerprint: string } }>(url, 'mutation($n: String!, $k: String!) { addAdmissionTrustedKey(name: $n, publicKey: $k) { fingerprint } }', { n: `r-${unique()}`, k: newPublicKey() });
        return graphql(url, 'mutation($f: String!) { removeAdmissionTrustedKey(fingerprint: $f) { fingerprint } }', { f: added.addAdmissionTrustedKey.fingerprint }, { token });
      },
    },
  };

  /** A new channel of team `default` (made with the admin token). */
  const notificationChannelId = async (): Promise<string> =>
    (await graphqlData<{ createNotificationChannel: { id: string } }>(url, 'mutation($n: String!) { createNotificationChannel(name: $n, kind: SLACK, url: "https://hooks.example.com/services/z") { id } }', { n: `n-${unique()}` })).createNotificationChannel.id;

  const schema = async () => buildClientSchema(await graphqlData<IntrospectionQuery>(url, getIntrospectionQuery()));

  it('has a role test for every mutation of the schema', async () => {
    expect(Object.keys((await schema()).getMutationType()?.getFields() ?? {}).sort()).toEqual(Object.keys(MUTATIONS).sort());
  });

  it.each(ROLES)('as %s: the mutations the role allows work, the others are FORBIDDEN', async (role) => {
    for (const [name, mutation] of Object.entries(MUTATIONS)) {
      const result = await mutation.call(tokens[role]);
      if (allows(role, mutation.role)) {
        expect({ name, errors: result.errors }).toEqual({ name, errors: undefined });
        expect((result.data as Record<string, unknown>)[name]).toBeTruthy();
      } else {
        expect({ name, codes: codes(result) }).toEqual({ name, codes: ['FORBIDDEN'] });
        expect(result.errors?.[0]?.message).toMatch(new RegExp(`${name} needs the ${mutation.role} role; this token has ${role}`));
      }
    }
  });

  it('createApiToken: the secret is shown once (bhk_, 256 bits), the token is of the caller\'s team and works at once', async () => {
    const created = await graphqlData<{ createApiToken: { token: { id: string; team: string; role: string }; secret: string } }>(url, 'mutation { createApiToken(name: "ci", role: operator) { token { id team role } secret } }');
    expect(created.createApiToken.secret).toMatch(/^bhk_[A-Za-z0-9_-]{43}$/);
    expect(created.createApiToken.token).toMatchObject({ team: 'default', role: 'operator' });
    const stored: { secret_hash: string }[] = await platform.db.dataSource.query('SELECT secret_hash FROM api_token WHERE id = $1', [created.createApiToken.token.id]);
    expect(stored[0]?.secret_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(stored)).not.toContain(created.createApiToken.secret);
    expect((await graphql(url, '{ tasks(first: 1) { totalCount } }', {}, { token: created.createApiToken.secret })).errors).toBeUndefined();
    const { apiTokens } = await graphqlData<{ apiTokens: { id: string; name: string }[] }>(url, '{ apiTokens { id name } }');
    expect(apiTokens.map((t) => t.id)).toContain(created.createApiToken.token.id);
    // Bad input is a clear client error.
    const bad = await graphql(url, 'mutation { createApiToken(name: "x", role: viewer, expiresIn: "soon") { secret } }');
    expect(codes(bad)).toEqual(['BAD_USER_INPUT']);
  });

  it('admin-only queries are FORBIDDEN below admin; viewers read everything else', async () => {
    for (const role of ['viewer', 'operator'] as const) {
      expect(codes(await graphql(url, '{ apiTokens { id } }', {}, { token: tokens[role] }))).toEqual(['FORBIDDEN']);
      expect(codes(await graphql(url, '{ auditLog { totalCount } }', {}, { token: tokens[role] }))).toEqual(['FORBIDDEN']);
    }
    const read = await graphql(url, '{ plugins { id } tasks(first: 1) { totalCount } findings(first: 1) { totalCount } findingCounts(groupBy: SEVERITY) { totalCount } alerts(first: 1) { totalCount } benchmarkRuns(first: 1) { totalCount } promotions(first: 1) { id } admissionDecisions(first: 1) { totalCount } admissionTrustedKeys { acceptsApiKeys } images(first: 1) { totalCount } me { role team } workloads(first: 1) { totalCount } findingTrend(days: 1) { open } taskQueueHealth { queued } }', {}, { token: tokens.viewer });
    expect(read.errors).toBeUndefined();
    expect((read.data as { me: { role: string } }).me.role).toBe('viewer');
  });

  /** One operation per root field of the schema, its arguments as (unset) variables: refused before they are coerced. */
  const everyOperation = async (): Promise<{ name: string; query: string }[]> => {
    const built = await schema();
    const roots: [string, GraphQLObjectType | null | undefined][] = [
      ['query', built.getQueryType()],
      ['mutation', built.getMutationType()],
      ['subscription', built.getSubscriptionType()],
    ];
    return roots.flatMap(([operation, type]) =>
      Object.values(type?.getFields() ?? {}).map((field: GraphQLField<unknown, unknown>) => {
        const variables = field.args.map((arg) => `$${arg.name}: ${String(arg.type)}`).join(', ');
        const args = field.args.map((arg) => `${arg.name}: $${arg.name}`).join(', ');
        const selection = isLeafType(getNamedType(field.type)) ? '' : '{ __typename }';
        return { name: `${operation} ${field.name}`, query: `${operation}${variables ? `(${variables})` : ''} { ${field.name}${args ? `(${args})` : ''} ${selection} }` };
      }),
    );
  };

  it('no token, a malformed, unknown, revoked or expired one: every query, mutation and subscription is UNAUTHENTICATED (HTTP 401)', async () => {
    const revoked = await platform.createToken('admin');
    await graphqlData(url, 'mutation($id: ID!) { revokeApiToken(id: $id) { id } }', { id: revoked.id });
    const expired = await platform.createToken('admin', 'default', new Date(Date.now() + 60_000));
    await platform.db.dataSource.query(`UPDATE api_token SET expires_at = now() - interval '1 second' WHERE id = $1`, [expired.id]);
    const credentials: [string, string | null, RegExp][] = [
      ['none', null, /authentication required/],
      ['malformed', 'not-a-token', /not valid/],
      ['unknown', `bhk_${'A'.repeat(43)}`, /not valid/],
      ['revoked', revoked.secret, /revoked/],
      ['expired', expired.secret, /expired/],
    ];
    const operations = await everyOperation();
    expect(operations.length).toBeGreaterThan(15);
    for (const [what, token, message] of credentials) {
      for (const { name, query } of operations) {
        const result = await graphql(url, query, {}, { token });
        expect({ what, name, status: result.status, codes: codes(result) }).toEqual({ what, name, status: 401, codes: ['UNAUTHENTICATED'] });
        expect(result.errors?.[0]?.message).toMatch(message);
      }
    }
    // The generated operations are valid: with a token they get past validation (to variable coercion).
    for (const { name, query } of operations.filter((o) => !o.name.startsWith('subscription'))) {
      const result = await graphql(url, query, {});
      expect({ name, codes: codes(result).filter((c) => c === 'GRAPHQL_VALIDATION_FAILED' || c === 'UNAUTHENTICATED') }).toEqual({ name, codes: [] });
    }
    // Introspection too.
    expect((await graphql(url, '{ __schema { queryType { name } } }', {}, { token: null })).status).toBe(401);
    const anonymous = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ __typename }' }) });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe('Bearer realm="bulkhead"');
  });

  /** The POST routes the app serves besides /graphql (the plugins' HTTP routes). */
  const httpRoutes = (): string[] => {
    const express = platform.api.app.getHttpAdapter().getInstance() as { router: { stack: { route?: { path: string; methods: Record<string, boolean> } }[] } };
    return express.router.stack.flatMap((layer) => (layer.route && layer.route.methods['post'] && layer.route.path !== '/graphql' ? [layer.route.path] : [])).sort();
  };

  it('plugin HTTP routes: 401 with a Bearer challenge without a valid token, 403 for viewers (but on the admission webhook), served for operators (the audit webhook kubeconfig `token:`)', async () => {
    expect(httpRoutes()).toEqual(Object.keys(ROUTES).sort());
    const revoked = await platform.createToken('operator');
    await graphqlData(url, 'mutation($id: ID!) { revokeApiToken(id: $id) { id } }', { id: revoked.id });
    const send = (route: string, authorization?: string) =>
      fetch(`${url}${route}`, { method: 'POST', headers: { 'content-type': ROUTES[route]?.contentType ?? '', ...(authorization ? { authorization } : {}) }, body: ROUTES[route]?.body ?? '' });
    for (const route of Object.keys(ROUTES)) {
      for (const authorization of [undefined, 'Bearer nope', `Basic ${Buffer.from('a:b').toString('base64')}`, `Bearer ${revoked.secret}`]) {
        const response = await send(route, authorization);
        expect({ route, authorization, status: response.status }).toEqual({ route, authorization, status: 401 });
        expect(response.headers.get('www-authenticate')).toBe('Bearer realm="bulkhead"');
      }
      const viewerStatus = ROUTES[route]?.viewer ? (ROUTES[route]?.status ?? 200) : 403;
      expect({ route, status: (await send(route, `Bearer ${tokens.viewer}`)).status }).toEqual({ route, status: viewerStatus });
      for (const role of ['operator', 'admin'] as const) {
        const response = await send(route, `Bearer ${tokens[role]}`);
        expect({ route, role, status: response.status }).toEqual({ route, role, status: ROUTES[route]?.status ?? 200 });
      }
    }
    // Probes stay open: they carry no data.
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
  });

  it('graphql-ws: connection_init without a valid token is closed with 4401 Unauthorized; with one (either payload form) subscriptions run', async () => {
    for (const token of [null, 'bhk_wrong']) {
      const client = subscriptionClient(url, { token });
      try {
        const closed = await new Promise<unknown>((resolve) => {
          client.subscribe({ query: 'subscription($id: ID!) { taskUpdated(id: $id) { status } }', variables: { id: '00000000-0000-0000-0000-000000000000' } }, { next: resolve, error: resolve, complete: () => resolve('completed') });
        });
        expect(closed).toMatchObject({ code: 4401, reason: 'Unauthorized' });
      } finally {
        await client.dispose();
      }
    }
    for (const connectionParams of [{ authorization: `Bearer ${tokens.viewer}` }, { token: tokens.viewer }]) {
      const id = await queuedTask();
      const client = createClient({ url: `${url.replace(/^http/, 'ws')}/graphql`, webSocketImpl: WebSocket, lazy: true, retryAttempts: 0, connectionParams });
      try {
        let cancelled: Promise<unknown> | undefined;
        const updates = await collectSubscription<{ taskUpdated: { status: string } }>(client, 'subscription($id: ID!) { taskUpdated(id: $id) { status } }', { id }, {
          timeoutMs: 20_000,
          onNext: () => (cancelled ??= graphqlData(url, 'mutation($id: ID!) { cancelTask(id: $id) { id } }', { id })),
        });
        await cancelled;
        expect(updates.map((u) => u.taskUpdated.status)).toEqual(['QUEUED', 'CANCELLED']);
      } finally {
        await client.dispose();
      }
    }
  });

  it('graphql-ws: a connection whose token is revoked is closed with 4401, its running subscription included', async () => {
    const token = await platform.createToken('viewer');
    const client = subscriptionClient(url, { token: token.secret });
    try {
      const id = await queuedTask();
      let first: () => void = () => undefined;
      const started = new Promise<void>((resolve) => (first = resolve));
      const ended = new Promise<unknown>((resolve) => {
        client.subscribe({ query: 'subscription($id: ID!) { taskUpdated(id: $id) { status } }', variables: { id } }, { next: () => first(), error: resolve, complete: () => resolve('completed') });
      });
      await started;
      await graphqlData(url, 'mutation($id: ID!) { revokeApiToken(id: $id) { id } }', { id: token.id });
      expect(await ended).toMatchObject({ code: 4401, reason: 'Unauthorized' });
    } finally {
      await client.dispose();
    }
  });

  it('writes an audit row for every mutation: who, what (secrets redacted), from where, outcome; admins page through it', async () => {
    const secretLike = `bhk_${'s'.repeat(43)}`;
    const marker = unique();
    await graphql(url, 'mutation($i: JSON!, $l: JSON) { submitTask(kind: SCANNER, type: "scan-image", input: $i, labels: $l) { id } }', { i: { source: `oci:${folder(`audit-${marker}`)}` }, l: { note: secretLike, marker } }, { token: tokens.operator });
    await graphql(url, 'mutation($id: ID!) { cancelTask(id: $id) { id } }', { id: '00000000-0000-0000-0000-000000000000' }, { token: tokens.viewer });
    await graphql(url, 'mutation { cancelTask(id: "00000000-0000-0000-0000-000000000001") { id } }', {}, { token: null });
    type Row = { operation: string; outcome: string; token_name: string | null; team: string | null; details: { variables?: { l?: Record<string, string> } }; remote_address: string; user_agent: string | null; error: string | null };
    let rows: Row[] = [];
    for (let i = 0; i < 100; i++) {
      rows = await platform.db.dataSource.query(`SELECT * FROM audit_log ORDER BY at`);
      if (rows.some((r) => r.outcome === 'unauthenticated')) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const submitted = rows.find((r) => r.details.variables?.l?.['marker'] === marker);
    expect(submitted).toMatchObject({ operation: 'mutation submitTask', outcome: 'ok', token_name: 'test-operator', team: 'default', remote_address: expect.stringMatching(/127\.0\.0\.1/) });
    expect(submitted?.details.variables?.l?.['note']).toBe('[REDACTED]');
    expect(JSON.stringify(rows)).not.toContain(secretLike);
    expect(rows).toEqual(expect.arrayContaining([expect.objectContaining({ operation: 'mutation cancelTask', outcome: 'forbidden', token_name: 'test-viewer' })]));
    expect(rows).toEqual(expect.arrayContaining([expect.objectContaining({ operation: 'mutation cancelTask', outcome: 'unauthenticated', token_name: null, team: null })]));
    // Every role test above left its rows: the token operations among them.
    expect(rows.filter((r) => r.operation === 'mutation createApiToken' && r.outcome === 'ok').length).toBeGreaterThan(0);
    expect(rows.filter((r) => r.operation === 'mutation revokeApiToken' && r.outcome === 'forbidden').length).toBeGreaterThan(0);

    const first = await graphqlData<{ auditLog: { totalCount: number; edges: { node: { operation: string; team: string } }[]; pageInfo: { hasNextPage: boolean; endCursor: string } } }>(
      url,
      '{ auditLog(first: 2) { totalCount edges { node { operation team } } pageInfo { hasNextPage endCursor } } }',
    );
    // Rows of earlier tests may still be arriving (written after their responses): at least those read above.
    expect(first.auditLog.totalCount).toBeGreaterThanOrEqual(rows.filter((r) => r.team === 'default').length);
    expect(first.auditLog.edges).toHaveLength(2);
    const next = await graphqlData<{ auditLog: { edges: { node: { operation: string } }[] } }>(url, 'query($after: String) { auditLog(first: 500, after: $after) { edges { node { operation } } } }', { after: first.auditLog.pageInfo.endCursor });
    expect(next.auditLog.edges).toHaveLength(first.auditLog.totalCount - 2);
  });

  it('records last use at most about once a minute', async () => {
    const token = await platform.createToken('viewer');
    const lastUsed = async (): Promise<Date | null> => (await platform.db.dataSource.query('SELECT last_used_at FROM api_token WHERE id = $1', [token.id]))[0].last_used_at;
    expect(await lastUsed()).toBeNull();
    await graphqlData(url, '{ plugins { id } }', {}, { token: token.secret });
    let first: Date | null = null;
    for (let i = 0; i < 100 && !first; i++) {
      first = await lastUsed();
      if (!first) await new Promise((r) => setTimeout(r, 20));
    }
    expect(first).toBeInstanceOf(Date);
    for (let i = 0; i < 5; i++) await graphqlData(url, '{ plugins { id } }', {}, { token: token.secret });
    await new Promise((r) => setTimeout(r, 100));
    expect((await lastUsed())?.getTime()).toBe(first?.getTime());
  });
});
