import { loadApiConfig, startApi, type ApiHandle } from '@bulkhead/api';
import { createTestToken, graphqlData, silentLogger } from '@bulkhead/api/testing';
import { registryOf, type PluginPackage } from '@bulkhead/builtin-plugins';
import { RegistryClient, staticCredentials, type Descriptor } from '@bulkhead/oci';
import { DataSourcePluginDatabase } from '@bulkhead/persistence';
import { createTestDatabase, type TestDatabase } from '@bulkhead/persistence/testing';
import { createRedis, deleteKeysWithPrefix, ServerInputPolicy } from '@bulkhead/queue';
import { describeWithRegistry, describeWithShared, minbaseImage, minbaseMissing, skipSuite, testImages } from '@bulkhead/testing';
import { PostgresAdvisoryStore, type Advisory } from '@bulkhead/vulndb';
import { scannerPlugin } from '@bulkhead/plugin-scanner';
import { scannerApi } from '@bulkhead/plugin-scanner/api';
import { startWorker, type WorkerHost } from '@bulkhead/worker';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { HarborOpenApi, type OpenApiAnswer } from './openapi-validator';

/*
 * Conformance of the Harbor pluggable scanner adapter (the scanner plugin's api entry, loaded as
 * the server loads it) with Harbor's OpenAPI document v1.2, on the real API and a real worker
 * (Postgres, Redis) scanning the minbase image from a real registry (distribution with htpasswd
 * auth), as Harbor drives an adapter: metadata, a scan request with Harbor-style `Basic`
 * registry credentials, polling (302 + Refresh-After, then 200) for both vulnerability report
 * MIME types and the SBOM in both formats, and the error answers. Every answer is validated
 * against the document (openapi-validator.ts says how its quirks are handled).
 */

jest.setTimeout(120_000);

const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const SPEC = ['peers', 'harbor-scanner-spec', 'api', 'spec', 'scanner-adapter-openapi-v1.2.yaml'];
const BASE = '/harbor/api/v1';
const REGISTRY_USER = 'robot$bulkhead';
const REGISTRY_PASSWORD = `pw-${randomBytes(8).toString('hex')}`;
const VULN_REPORT = 'application/vnd.security.vulnerability.report; version=1.1';
const HARBOR_VULN_REPORT = 'application/vnd.scanner.adapter.vuln.report.harbor+json; version=1.0';
const SBOM_REPORT = 'application/vnd.security.sbom.report+json; version=1.0';
const SCAN_REQUEST = 'application/vnd.scanner.adapter.scan.request+json; version=1.1';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

/** An advisory for a package minbase (Debian 12) holds, gzip 1.12-1, fixed in a later version. */
const GZIP_ADVISORY: Advisory = {
  id: 'DEBIAN-CVE-2099-1234',
  source: 'osv:harbor-test',
  aliases: ['CVE-2099-1234'],
  summary: 'gzip: test advisory',
  details: 'A made-up gzip problem for the Harbor adapter conformance test.',
  cvss: [{ type: 'CVSS_V3', vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', score: 9.8 }],
  references: ['https://security-tracker.debian.org/tracker/CVE-2099-1234'],
  affected: [{ ecosystem: 'Debian:12', name: 'gzip', ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '1.12-1+deb12u9' }] }], versions: [], severity: 'HIGH' }],
};

async function* records(...advisories: Advisory[]): AsyncIterable<Advisory> {
  yield* advisories;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

describeWithShared('Harbor scanner adapter conformance (OpenAPI v1.2)', (shared) => {
  const specFile = path.join(shared, ...SPEC);
  const minbase = minbaseImage();
  if (!minbase) {
    skipSuite('Harbor scanner adapter conformance', minbaseMissing());
    return;
  }

  describeWithRegistry(
    'against the API and a worker, scanning minbase from a registry with basic auth',
    (registry) => {
      let spec: HarborOpenApi;
      let db: TestDatabase;
      let api: ApiHandle;
      let worker: WorkerHost | undefined;
      let operator: string;
      let viewer: string;
      let manifestDigest: string;
      const savedEnv = { ...process.env };
      const credentialKey = randomBytes(32).toString('base64');
      const harborAuthorization = `Basic ${Buffer.from(`${REGISTRY_USER}:${REGISTRY_PASSWORD}`).toString('base64')}`;
      // The scanner plugin alone, as the host loads a plugin package (its api entry included).
      const packages: PluginPackage[] = [{ name: '@bulkhead/plugin-scanner', plugin: scannerPlugin, loadApi: async () => scannerApi, loadCli: async () => undefined }];

      /** One request to the adapter, its answer checked against the document for `operation`. */
      async function call(operation: { path: string; method: 'get' | 'post' }, url: string, init: RequestInit & { token?: string | null } = {}): Promise<OpenApiAnswer & { json: () => any }> {
        const { token = operator, headers, ...rest } = init;
        const response = await fetch(`${api.url}${BASE}${url}`, { ...rest, redirect: 'manual', headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(headers as Record<string, string>) } });
        const answer = { status: response.status, headers: response.headers, body: await response.text() };
        expect({ status: answer.status, problems: spec.check(operation.path, operation.method, answer) }).toEqual({ status: answer.status, problems: [] });
        return { ...answer, json: () => JSON.parse(answer.body) };
      }
      const metadata = (init?: RequestInit & { token?: string | null }) => call({ path: '/metadata', method: 'get' }, '/metadata', init);
      const report = (id: string, accept: string, query = '', init: RequestInit & { token?: string | null } = {}) =>
        call({ path: '/scan/{scan_request_id}/report', method: 'get' }, `/scan/${encodeURIComponent(id)}/report${query}`, { ...init, headers: { accept, ...(init.headers as Record<string, string>) } });
      const scan = (body: unknown, init: RequestInit & { token?: string | null } = {}) => {
        const text = typeof body === 'string' ? body : JSON.stringify(body);
        return call({ path: '/scan', method: 'post' }, '/scan', { method: 'POST', body: text, ...init, headers: { 'content-type': SCAN_REQUEST, ...(init.headers as Record<string, string>) } });
      };
      const scanRequest = (overrides: Record<string, unknown> = {}) => ({
        registry: { url: registry().url, authorization: harborAuthorization },
        artifact: { repository: 'library/minbase', digest: manifestDigest, tag: 'bookworm', mime_type: OCI_MANIFEST },
        enabled_capabilities: [
          { type: 'vulnerability', produces_mime_types: [VULN_REPORT, HARBOR_VULN_REPORT] },
          { type: 'sbom', produces_mime_types: [SBOM_REPORT], parameters: { sbom_media_types: ['application/spdx+json', 'application/vnd.cyclonedx+json'] } },
        ],
        ...overrides,
      });
      const startTheWorker = async (): Promise<void> => {
        worker ??= await startWorker({
          registry: registryOf(packages),
          inputs: new ServerInputPolicy({ allowedPaths: ['/'] }),
          database: { dataSource: db.dataSource },
          redisUrl: REDIS_URL,
          queuePrefix: db.schema,
          kinds: ['scanner'],
          shutdownGraceMs: 5_000,
        });
      };
      /** Polls like Harbor until the report is no longer pending; every answer is checked. */
      const finalReport = async (id: string, accept: string, query = ''): Promise<OpenApiAnswer & { json: () => any }> => {
        for (let attempt = 0; attempt < 600; attempt++) {
          const answer = await report(id, accept, query);
          if (answer.status !== 302) return answer;
          await sleep(200);
        }
        throw new Error(`scan ${id} still pending`);
      };

      beforeAll(async () => {
        spec = new HarborOpenApi(specFile);
        // Push minbase to the registry with the client, as a Harbor project would hold it.
        const layout = minbase.ociLayout;
        const index = JSON.parse(readFileSync(path.join(layout, 'index.json'), 'utf8')) as { manifests: Descriptor[] };
        const entry = index.manifests[0];
        if (!entry) throw new Error(`${layout}: empty index`);
        const blob = (digest: string): Buffer => readFileSync(path.join(layout, 'blobs', 'sha256', digest.slice('sha256:'.length)));
        const manifest = blob(entry.digest);
        const parsed = JSON.parse(manifest.toString('utf8')) as { config: Descriptor; layers: Descriptor[] };
        const client = new RegistryClient({ credentials: staticCredentials({ [registry().host]: { username: REGISTRY_USER, password: REGISTRY_PASSWORD } }), retries: 1, retryBaseDelayMs: 10 });
        try {
          const repo = { registry: registry().host, repository: 'library/minbase' };
          for (const d of [parsed.config, ...parsed.layers]) await client.pushBlob(repo, blob(d.digest), d.digest, d.size);
          manifestDigest = await client.putManifest(repo, 'bookworm', manifest, entry.mediaType);
        } finally {
          await client.close();
        }
        expect(manifestDigest).toBe(testImages().minbaseManifestDigest);

        // The worker reads the registry policy and the credential key from its environment.
        Object.assign(process.env, {
          BULKHEAD_REGISTRY_ALLOWED_HOSTS: registry().host,
          BULKHEAD_REGISTRY_ALLOW_PRIVATE: 'true',
          BULKHEAD_HARBOR_CREDENTIAL_KEY: credentialKey,
        });
        db = await createTestDatabase('api_harbor');
        const env = {
          DATABASE_URL: db.url,
          DATABASE_SCHEMA: db.schema,
          REDIS_URL,
          BULKHEAD_QUEUE_PREFIX: db.schema,
          BULKHEAD_REGISTRY_ALLOWED_HOSTS: registry().host,
          BULKHEAD_REGISTRY_ALLOW_PRIVATE: 'true',
          BULKHEAD_HARBOR_CREDENTIAL_KEY: credentialKey,
        };
        const inputs = new ServerInputPolicy({ allowedPaths: ['/'] });
        api = await startApi({ config: loadApiConfig(env), env, inputs, registry: registryOf(packages), plugins: packages, dataSource: db.dataSource, port: 0, host: '127.0.0.1', logger: silentLogger() });
        await new PostgresAdvisoryStore(new DataSourcePluginDatabase(db.dataSource)).import('osv:harbor-test', records(GZIP_ADVISORY));
        // Harbor is registered with an operator token (it queues scans); a viewer may only read.
        operator = (await createTestToken(db.dataSource, 'operator')).secret;
        viewer = (await createTestToken(db.dataSource, 'viewer')).secret;
      }, 180_000);

      afterAll(async () => {
        for (const key of ['BULKHEAD_REGISTRY_ALLOWED_HOSTS', 'BULKHEAD_REGISTRY_ALLOW_PRIVATE', 'BULKHEAD_HARBOR_CREDENTIAL_KEY']) {
          if (savedEnv[key] === undefined) delete process.env[key];
          else process.env[key] = savedEnv[key];
        }
        await worker?.stop().catch(() => undefined);
        await api?.close().catch(() => undefined);
        if (db) {
          await db.drop().catch(() => undefined);
          const redis = createRedis(REDIS_URL, 'producer');
          await deleteKeysWithPrefix(redis, db.schema).finally(() => redis.disconnect());
        }
      }, 60_000);

      it('answers /metadata with the capabilities and the advisory database time', async () => {
        const answer = await metadata();
        expect(answer.status).toBe(200);
        expect(answer.headers.get('content-type')).toBe('application/vnd.scanner.adapter.metadata+json; version=1.1');
        const body = answer.json();
        expect(body.scanner).toEqual({ name: 'Bulkhead', vendor: 'Bulkhead', version: expect.any(String) });
        expect(body.capabilities).toEqual([
          { type: 'vulnerability', consumes_mime_types: [OCI_MANIFEST, 'application/vnd.docker.distribution.manifest.v2+json'], produces_mime_types: [VULN_REPORT, HARBOR_VULN_REPORT] },
          {
            type: 'sbom',
            consumes_mime_types: [OCI_MANIFEST, 'application/vnd.docker.distribution.manifest.v2+json'],
            produces_mime_types: [SBOM_REPORT],
            additional_attributes: { sbom_media_types: ['application/spdx+json', 'application/vnd.cyclonedx+json'] },
          },
        ]);
        const [source] = (await new PostgresAdvisoryStore(new DataSourcePluginDatabase(db.dataSource)).status()).sources;
        expect(body.properties).toEqual({
          'harbor.scanner-adapter/scanner-type': 'os-package-vulnerability',
          'harbor.scanner-adapter/vulnerability-database-updated-at': source?.updatedAt,
          'bulkhead.io/advisories': '1',
        });
      });

      it('is closed without the token Harbor is configured with', async () => {
        // The host's guard answers before the adapter: 401 / 403 are not among the document's
        // responses (it declares the Basic / Bearer schemes only), so these are checked as the host's.
        const response = await fetch(`${api.url}${BASE}/metadata`);
        expect(response.status).toBe(401);
        expect(response.headers.get('www-authenticate')).toBe('Bearer realm="bulkhead"');
        const asViewer = await fetch(`${api.url}${BASE}/scan`, { method: 'POST', headers: { authorization: `Bearer ${viewer}`, 'content-type': SCAN_REQUEST }, body: JSON.stringify(scanRequest()) });
        expect(asViewer.status).toBe(403);
        expect(await db.dataSource.query(`SELECT count(*)::int AS n FROM "${db.schema}".harbor_scan`)).toEqual([{ n: 0 }]);
      });

      it('scans minbase from the registry: 202, then 302 + Refresh-After while pending, then both vulnerability reports and both SBOMs', async () => {
        const body = scanRequest();
        expect(spec.schema('ScanRequest')(body)).toBe(true);
        const accepted = await scan(body);
        expect(accepted.status).toBe(202);
        expect(accepted.headers.get('content-type')).toBe('application/vnd.scanner.adapter.scan.response+json; version=1.0');
        const { id } = accepted.json() as { id: string };

        // The credential is stored sealed, never in the task input, and nothing returns it.
        const [row] = await db.dataSource.query(`SELECT task_id, credential FROM "${db.schema}".harbor_scan WHERE id = $1`, [id]);
        expect(Buffer.isBuffer(row.credential)).toBe(true);
        expect(row.credential.includes(Buffer.from(REGISTRY_PASSWORD))).toBe(false);
        const [task] = await db.dataSource.query(`SELECT input::text AS input FROM "${db.schema}".task WHERE id = $1`, [row.task_id]);
        expect(JSON.parse(task.input)).toEqual({ source: `registry:${registry().host}/library/minbase@${manifestDigest}`, scanners: ['vuln'], ignoreUnfixed: false, harborScan: id });
        expect(task.input).not.toContain(REGISTRY_PASSWORD);
        expect(task.input).not.toContain(harborAuthorization.slice('Basic '.length));

        // No worker yet: the report is pending, as Harbor sees it between its polls.
        const pending = await report(id, VULN_REPORT);
        expect(pending.status).toBe(302);
        expect(pending.headers.get('refresh-after')).toBe('5');
        expect(pending.headers.get('retry-after')).toBeNull();

        await startTheWorker();
        const vulnerabilities = await finalReport(id, VULN_REPORT);
        expect(vulnerabilities.status).toBe(200);
        expect(vulnerabilities.headers.get('content-type')).toBe(VULN_REPORT);
        const vulnReport = vulnerabilities.json();
        expect(vulnReport.artifact).toEqual({ repository: 'library/minbase', digest: manifestDigest, tag: 'bookworm', mime_type: OCI_MANIFEST });
        expect(vulnReport.scanner.name).toBe('Bulkhead');
        expect(vulnReport.severity).toBe('High');
        expect(vulnReport.vulnerabilities).toEqual([
          {
            id: 'CVE-2099-1234',
            package: 'gzip',
            version: '1.12-1',
            fix_version: '1.12-1+deb12u9',
            severity: 'High',
            description: GZIP_ADVISORY.details,
            links: ['https://nvd.nist.gov/vuln/detail/CVE-2099-1234', 'https://security-tracker.debian.org/tracker/CVE-2099-1234'],
            preferred_cvss: { score_v3: 9.8, vector_v3: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' },
            cwe_ids: [],
            vendor_attributes: expect.objectContaining({ CVSS: { 'osv:harbor-test': { V3Score: 9.8, V3Vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' } }, purl: expect.stringMatching(/^pkg:deb\/debian\/gzip@1\.12-1/) }),
          },
        ]);
        // The scan ended: its credential is gone.
        expect(await db.dataSource.query(`SELECT credential FROM "${db.schema}".harbor_scan WHERE id = $1`, [id])).toEqual([{ credential: null }]);

        const legacy = await report(id, HARBOR_VULN_REPORT);
        expect(legacy.status).toBe(200);
        expect(legacy.headers.get('content-type')).toBe(HARBOR_VULN_REPORT);
        expect(legacy.json().vulnerabilities).toEqual(vulnReport.vulnerabilities);

        expect(spec.queryParameter('/scan/{scan_request_id}/report', 'get', 'sbom_media_type', 'application/spdx+json')).toEqual([]);
        const spdx = await report(id, SBOM_REPORT, '?sbom_media_type=application/spdx%2Bjson');
        expect(spdx.status).toBe(200);
        expect(spdx.headers.get('content-type')).toBe(SBOM_REPORT);
        const spdxReport = spdx.json();
        expect(spdxReport.media_type).toBe('application/spdx+json');
        expect(spdxReport.sbom.spdxVersion).toBe('SPDX-2.3');
        expect(spdxReport.sbom.packages.map((p: { name: string }) => p.name)).toEqual(expect.arrayContaining(['gzip', 'dpkg', 'zlib1g']));

        const cyclonedx = await report(id, SBOM_REPORT, '?sbom_media_type=application/vnd.cyclonedx%2Bjson');
        expect(cyclonedx.status).toBe(200);
        const bom = cyclonedx.json().sbom;
        expect(bom.bomFormat).toBe('CycloneDX');
        expect(bom.components.map((c: { name: string }) => c.name)).toEqual(expect.arrayContaining(['gzip', 'dpkg']));
        expect(bom.vulnerabilities.map((v: { id: string }) => v.id)).toEqual(['CVE-2099-1234']);
      });

      it('answers a failed scan with 500 and the reason (an image the registry does not hold)', async () => {
        await startTheWorker();
        const accepted = await scan(scanRequest({ artifact: { repository: 'library/absent', digest: `sha256:${'0'.repeat(64)}`, mime_type: OCI_MANIFEST } }));
        expect(accepted.status).toBe(202);
        const failed = await finalReport(accepted.json().id, VULN_REPORT);
        expect(failed.status).toBe(500);
        expect(failed.headers.get('content-type')).toBe('application/vnd.scanner.adapter.error+json; version=1.0');
        expect(failed.json().error.message).toMatch(/^the scan failed: .*library\/absent/);
        expect(failed.body).not.toContain(REGISTRY_PASSWORD);
      });

      it('never lends a Harbor scan\'s credential to a task a client queued for another image', async () => {
        await startTheWorker();
        const accepted = await scan(scanRequest());
        const id = accepted.json().id as string;
        const hostile = await graphqlData<{ submitTask: { id: string } }>(
          api.url,
          'mutation($i: JSON!) { submitTask(kind: SCANNER, type: "scan-image", input: $i) { id } }',
          { i: { source: `registry:${registry().host}/library/other@${manifestDigest}`, harborScan: id } },
          { token: operator },
        );
        let task: { status: string; error: string | null } | undefined;
        for (let attempt = 0; attempt < 300 && !['FAILED', 'SUCCEEDED'].includes(task?.status ?? ''); attempt++) {
          await sleep(100);
          [task] = await db.dataSource.query(`SELECT status, error FROM "${db.schema}".task WHERE id = $1`, [hostile.submitTask.id]);
        }
        expect(task).toEqual({ status: 'FAILED', error: expect.stringContaining(`the scan request was for ${registry().host}/library/minbase@${manifestDigest}, not registry:${registry().host}/library/other`) });
        expect((await finalReport(id, VULN_REPORT)).status).toBe(200);
      });

      it('refuses bad scan requests with 400, 422 and 501 and queues nothing', async () => {
        const before = await db.dataSource.query(`SELECT count(*)::int AS n FROM "${db.schema}".task`);
        const cases: [unknown, number, RegExp][] = [
          ['{"registry": ', 400, /not JSON/],
          [{ ...scanRequest(), registry: { url: ['x'] } }, 400, /registry\.url/],
          [{ ...scanRequest(), registry: { url: 'ftp://x' } }, 422, /http or https/],
          [{ ...scanRequest(), registry: { url: 'http://169.254.169.254' } }, 422, /allow-list|link-local/],
          [{ ...scanRequest(), registry: { url: registry().url, authorization: 'Bearer x' } }, 422, /Basic/],
          [{ ...scanRequest(), artifact: { repository: 'library/minbase' } }, 422, /artifact\.digest is required/],
          [{ ...scanRequest(), artifact: { repository: 'library/minbase', digest: manifestDigest, mime_type: 'application/vnd.cncf.helm.config.v1+json' } }, 501, /cannot be scanned/],
        ];
        for (const [body, status, message] of cases) {
          const answer = await scan(body);
          expect({ status: answer.status, message: answer.json().error.message }).toEqual({ status, message: expect.stringMatching(message) });
        }
        // (text/plain and form types never reach the route: the host refuses them 415 against cross-site posts.)
        const wrongType = await scan(scanRequest(), { headers: { 'content-type': 'application/xml' } });
        expect(wrongType.status).toBe(400);
        const huge = await scan(JSON.stringify({ ...scanRequest(), padding: 'x'.repeat(70 * 1024) }));
        expect({ status: huge.status, message: huge.json().error.message }).toEqual({ status: 400, message: expect.stringMatching(/larger than 65536 bytes/) });
        expect(await db.dataSource.query(`SELECT count(*)::int AS n FROM "${db.schema}".task`)).toEqual(before);
      });

      it('refuses to take registry credentials when the server has no key to seal them, naming the setting', async () => {
        const env = {
          DATABASE_URL: db.url,
          DATABASE_SCHEMA: db.schema,
          REDIS_URL,
          BULKHEAD_QUEUE_PREFIX: db.schema,
          BULKHEAD_REGISTRY_ALLOWED_HOSTS: registry().host,
          BULKHEAD_REGISTRY_ALLOW_PRIVATE: 'true',
        };
        const keyless = await startApi({ config: loadApiConfig(env), env, inputs: new ServerInputPolicy({ allowedPaths: ['/'] }), registry: registryOf(packages), plugins: packages, dataSource: db.dataSource, port: 0, host: '127.0.0.1', logger: silentLogger() });
        try {
          const response = await fetch(`${keyless.url}${BASE}/scan`, { method: 'POST', headers: { authorization: `Bearer ${operator}`, 'content-type': SCAN_REQUEST }, body: JSON.stringify(scanRequest()) });
          const answer = { status: response.status, headers: response.headers, body: await response.text() };
          expect(spec.check('/scan', 'post', answer)).toEqual([]);
          expect({ status: answer.status, message: JSON.parse(answer.body).error.message }).toEqual({ status: 500, message: expect.stringContaining('set BULKHEAD_HARBOR_CREDENTIAL_KEY') });
        } finally {
          await keyless.close();
        }
      });

      it('answers 404 for unknown ids, 501 for an Accept it cannot produce, 400 for an SBOM without a valid sbom_media_type', async () => {
        expect((await report('3fa85f64-5717-4562-b3fc-2c963f66afa6', VULN_REPORT)).status).toBe(404);
        expect((await report('not-an-id', VULN_REPORT)).status).toBe(404);
        const accepted = await scan(scanRequest());
        const id = accepted.json().id as string;
        await finalReport(id, VULN_REPORT);
        const raw = await report(id, 'application/vnd.scanner.adapter.vuln.report.raw');
        expect(raw.status).toBe(501);
        expect((await report(id, 'text/html')).status).toBe(501);
        const noType = await report(id, SBOM_REPORT);
        expect({ status: noType.status, message: noType.json().error.message }).toEqual({ status: 400, message: expect.stringMatching(/sbom_media_type/) });
        expect(spec.queryParameter('/scan/{scan_request_id}/report', 'get', 'sbom_media_type', 'text/plain')).not.toEqual([]);
        expect((await report(id, SBOM_REPORT, '?sbom_media_type=text/plain')).status).toBe(400);
        // Another team's token does not see this team's scans.
        const other = (await createTestToken(db.dataSource, 'viewer', 'other')).secret;
        expect((await report(id, VULN_REPORT, '', { token: other })).status).toBe(404);
      });
    },
    { mode: 'htpasswd', user: REGISTRY_USER, password: REGISTRY_PASSWORD },
  );
});
