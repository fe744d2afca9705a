// Kubernetes admission webhook latency: `npm run bench -- admission [requests]`.
//
// The API (startApi in this process, every built-in plugin's api entry, auth and body limits as
// deployed) with an admission policy using every rule (allowed registries, stored findings above
// HIGH, Pod Security baseline, and trustedKeys: a valid recorded signature by a trusted key) on a
// scratch schema holding three scanned images: one clean and signed by the trusted key, one with
// a CRITICAL finding, one clean but signed by another key; plus 20,000 signature records of other
// images in two teams (so the signature lookup has an index to use, not a tiny table).
// `requests` AdmissionReview v1 requests (default 1,000) cycling through clean / vulnerable /
// privileged / unknown-registry / signed-by-another-key pods and a Deployment, one at a time over
// HTTP with a viewer token (the cases interleaved request by request), against same-run baselines on the same server: a trivial JSON echo
// route (a bench-only plugin, same auth, same body reader) sent the same bodies, and a second API
// on the same data whose policy has every rule but trustedKeys (the signature rule's own cost).
// Target: p99 <= 50 ms.
import { Controller, HttpCode, Inject, Module, Post, Req } from '@nestjs/common';
import { startApi, type ApiHandle } from '@bulkhead/api';
import { silentLogger } from '@bulkhead/api/testing';
import { builtinPluginPackages, registryOf } from '@bulkhead/builtin-plugins';
import { ApiTokenStore, DataSourcePluginDatabase, ResultWriter } from '@bulkhead/persistence';
import { createTestDatabase } from '@bulkhead/persistence/testing';
import { definePlugin } from '@bulkhead/plugin-sdk';
import { SignatureRecords, type SignatureCheck } from '@bulkhead/plugin-signer';
import { definePluginApi, HOST_BODY_READER, RequireRole, type HostBodyReader, type HostRequest, type PluginApi } from '@bulkhead/plugin-sdk/api';
import { createRedis, deleteKeysWithPrefix } from '@bulkhead/queue';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { DataSource } from 'typeorm';
import { percentile, printTable } from './lib/measure';

const REQUESTS = Number(process.argv[2] ?? 1_000);
const TARGET_P99_MS = 50;
const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';

/** The baseline route: reads the body with the host's reader, parses it and sends it back. */
@Controller('bench-echo')
@RequireRole('viewer')
class EchoController {
  constructor(@Inject(HOST_BODY_READER) private readonly bodies: HostBodyReader) {}

  @Post()
  @HttpCode(200)
  async echo(@Req() request: HostRequest): Promise<unknown> {
    const body = await this.bodies.readAll(request);
    if (!Buffer.isBuffer(body)) throw new Error('body too large');
    return JSON.parse(body.toString('utf8')) as unknown;
  }
}

@Module({ controllers: [EchoController] })
class EchoModule {}

const echoPackage = {
  name: 'bench-echo',
  plugin: definePlugin({ manifest: { id: 'bench.echo', version: '0.0.0', kind: 'signer', phases: ['ship'], description: 'admission bench baseline: a JSON echo route' }, tasks: [] }),
  loadApi: async () => definePluginApi({ module: () => EchoModule }) as unknown as PluginApi,
};

const digest = (c: string) => `sha256:${c.repeat(64)}`;
const CLEAN = `registry.example.com/app/clean@${digest('2')}`;
const VULNERABLE = `registry.example.com/app/vulnerable@${digest('4')}`;
const OTHER_KEY = `registry.example.com/app/other-key@${digest('6')}`;
const NOISE_RECORDS = 20_000;

function podSpec(image: string, privileged = false): Record<string, unknown> {
  return { containers: [{ name: 'app', image, securityContext: privileged ? { privileged: true } : { allowPrivilegeEscalation: false } }] };
}

function review(i: number): string {
  const shapes: [string, unknown][] = [
    ['Pod', { metadata: { name: 'clean' }, spec: podSpec(CLEAN) }],
    ['Pod', { metadata: { name: 'vulnerable' }, spec: podSpec(VULNERABLE) }],
    ['Pod', { metadata: { name: 'privileged' }, spec: podSpec(CLEAN, true) }],
    ['Pod', { metadata: { name: 'unknown-registry' }, spec: podSpec(`docker.io/library/nginx@${digest('9')}`) }],
    ['Deployment', { spec: { template: { metadata: {}, spec: podSpec(CLEAN) } } }],
    ['Pod', { metadata: { name: 'signed-by-another-key' }, spec: podSpec(OTHER_KEY) }],
  ];
  const [kind, object] = shapes[i % shapes.length] as [string, unknown];
  return JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { uid: `uid-${i}`, kind: { group: '', version: 'v1', kind }, operation: 'CREATE', namespace: 'bench', object } });
}


interface Target {
  url: string;
  check: (body: Record<string, unknown>, i: number) => void;
}

/**
 * Request i goes to every target in turn before request i+1, so the machine's load (shared,
 * noisy) falls on the cases alike and their ratios stay comparable.
 */
async function sample(targets: readonly Target[], token: string): Promise<number[][]> {
  const send = async ({ url, check }: Target, i: number): Promise<void> => {
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: review(i) });
    if (response.status !== 200) throw new Error(`${url}: HTTP ${response.status} ${await response.text()}`);
    check((await response.json()) as Record<string, unknown>, i);
  };
  for (let i = 0; i < 50; i++) for (const target of targets) await send(target, i); // warm: plans, pool, JIT
  const out = targets.map(() => [] as number[]);
  for (let i = 0; i < REQUESTS; i++) {
    for (const [index, target] of targets.entries()) {
      const start = performance.now();
      await send(target, i);
      out[index]?.push(performance.now() - start);
    }
  }
  return out;
}

/** The signer's records as its tasks write them: the trusted key on the clean image, another key on OTHER_KEY, noise elsewhere. */
async function recordSignatures(dataSource: DataSource, trusted: string): Promise<void> {
  const database = new DataSourcePluginDatabase(dataSource);
  const other = `key:${'0'.repeat(64)}`;
  const check = (imageDigest: string, verifier: string, n = 0): SignatureCheck => ({
    imageDigest,
    reference: `registry.example.com/app@${imageDigest}`,
    format: 'cosign-legacy',
    signatureDigest: `sha256:${createHash('sha256').update(`${imageDigest}|${n}`).digest('hex')}`,
    verifier,
    identity: verifier,
    valid: true,
    reason: null,
  });
  await new SignatureRecords(database, 'default').recordSignatures([check(digest('2'), trusted), check(digest('6'), other)], null);
  // Noise in bulk (one statement per team): other images' signatures, in this team and another one.
  for (const team of ['default', 'other-team']) {
    await database.query(
      `INSERT INTO signer_signature (team, image_digest, reference, format, signature_digest, verifier, identity, valid, reason)
       SELECT $1, 'sha256:' || encode(sha256(('image' || g || $1)::bytea), 'hex'), 'registry.example.com/noise', 'cosign-bundle',
              'sha256:' || encode(sha256(('sig' || g || $1)::bytea), 'hex'), $2, null, g % 3 <> 0, CASE WHEN g % 3 = 0 THEN 'wrong-key' END
       FROM generate_series(1, $3::int) g`,
      [team, trusted, NOISE_RECORDS / 2],
    );
  }
  await database.query('ANALYZE signer_signature');
}

async function main(): Promise<void> {
  const scratch = await createTestDatabase('bench_admission');
  const work = mkdtempSync(path.join(tmpdir(), 'bulkhead-admission-bench-'));
  const apis: ApiHandle[] = [];
  try {
    const writer = new ResultWriter(scratch.dataSource, null);
    await writer.artifact({ digest: digest('1'), manifestDigests: [digest('2')], references: [], size: 1, layers: [], metadata: {} });
    await writer.artifact({ digest: digest('3'), manifestDigests: [digest('4')], references: [], size: 1, layers: [], metadata: {} });
    await writer.artifact({ digest: digest('5'), manifestDigests: [digest('6')], references: [], size: 1, layers: [], metadata: {} });
    await writer.findings([
      { kind: 'scanner', severity: 'HIGH', ruleId: 'CVE-0000-0001', title: 'high', target: digest('1'), fingerprint: 'f1' },
      { kind: 'scanner', severity: 'CRITICAL', ruleId: 'CVE-0000-0002', title: 'critical', target: digest('3'), fingerprint: 'f2' },
    ]);
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const trusted = `key:${createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex')}`;
    const rules = { allowedRegistries: ['registry.example.com'], maxSeverity: 'HIGH', podSecurityLevel: 'baseline' };
    const packages = [...builtinPluginPackages(), echoPackage];
    const start = async (name: string, policy: Record<string, unknown>): Promise<ApiHandle> => {
      const policyFile = path.join(work, `${name}.json`);
      writeFileSync(policyFile, JSON.stringify(policy));
      const api = await startApi({
        // The built-in plugins' registry, as the API runs it: the signer provides imageSignatures to the webhook.
        registry: registryOf(builtinPluginPackages()),
        plugins: packages,
        env: { DATABASE_URL: scratch.url, DATABASE_SCHEMA: scratch.schema, REDIS_URL, BULKHEAD_QUEUE_PREFIX: scratch.schema, BULKHEAD_RATE_LIMIT: '100000', BULKHEAD_ADMISSION_POLICY_FILE: policyFile },
        dataSource: scratch.dataSource,
        port: 0,
        host: '127.0.0.1',
        logger: silentLogger(),
      });
      apis.push(api);
      return api;
    };
    // The trusted key as an operator writes it: a PEM public key.
    const signed = await start('signed', { ...rules, trustedKeys: [publicKey.export({ type: 'spki', format: 'pem' }).toString()] });
    const unsigned = await start('unsigned', rules);
    await recordSignatures(scratch.dataSource, trusted);
    const { secret: token } = await new ApiTokenStore(scratch.dataSource).create({ name: 'bench', team: 'default', role: 'viewer', expiresAt: null, createdBy: 'bench' });
    // Every answer is checked: clean and the Deployment of the clean image are allowed, the rest denied
    // (the image signed by another key only by the signature rule).
    const checkAnswers = (expected: boolean[]) => (body: Record<string, unknown>, i: number) => {
      const allowed = (body['response'] as { allowed?: boolean } | undefined)?.allowed;
      if (allowed !== expected[i % expected.length]) throw new Error(`request ${i}: allowed=${String(allowed)}, expected ${String(expected[i % expected.length])}: ${JSON.stringify(body)}`);
    };
    const [echo = [], withoutSignatures = [], withSignatures = []] = await sample(
      [
        {
          url: `${signed.url}/bench-echo`,
          check: (body) => {
            if (body['kind'] !== 'AdmissionReview') throw new Error('the echo changed the body');
          },
        },
        { url: `${unsigned.url}/admission/validate`, check: checkAnswers([true, false, false, false, true, true]) },
        { url: `${signed.url}/admission/validate`, check: checkAnswers([true, false, false, false, true, false]) },
      ],
      token,
    );
    console.log(`\n${REQUESTS.toLocaleString('en')} requests each, one at a time; ${NOISE_RECORDS.toLocaleString('en')} other signature records; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} on ${cpus().length} CPUs\n`);
    const row = (name: string, values: number[], target: string): string[] => [
      name,
      percentile(values, 50).toFixed(2),
      percentile(values, 99).toFixed(2),
      (percentile(values, 99) / percentile(echo, 99)).toFixed(2),
      target,
    ];
    const verdict = (values: number[]) => `p99 <= ${TARGET_P99_MS} ms: ${percentile(values, 99) <= TARGET_P99_MS ? 'PASS' : 'FAIL'}`;
    printTable(
      ['case', 'p50 ms', 'p99 ms', 'ratio p99 (vs baseline)', 'target'],
      [
        row('baseline: JSON echo route (same server, auth, body reader)', echo, ''),
        row('POST /admission/validate (registries, findings, PSS)', withoutSignatures, verdict(withoutSignatures)),
        row('POST /admission/validate (the same + trustedKeys signatures)', withSignatures, verdict(withSignatures)),
      ],
    );
    // The signature rule's own cost: the same server work but one service call (and a few more denials recorded).
    console.log(
      `\ntrustedKeys rule: p50 ${(percentile(withSignatures, 50) - percentile(withoutSignatures, 50)).toFixed(2)} ms more, p99 ratio ${(percentile(withSignatures, 99) / percentile(withoutSignatures, 99)).toFixed(2)} vs the policy without it`,
    );
  } finally {
    for (const api of apis) await api.close();
    const redis = createRedis(REDIS_URL, 'producer');
    await deleteKeysWithPrefix(redis, scratch.schema).finally(() => redis.disconnect());
    await scratch.drop();
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
