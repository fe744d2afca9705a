// Kubernetes admission webhook latency: `npm run bench -- admission [requests]`.
//
// The API (startApi in this process, every built-in plugin's api entry, auth and body limits as
// deployed) with an admission policy using every rule (allowed registries, stored findings above
// HIGH, Pod Security baseline) on a scratch schema holding two scanned images, one clean and one
// with a CRITICAL finding. `requests` AdmissionReview v1 requests (default 1,000) cycling through
// clean / vulnerable / privileged / unknown-registry pods and a Deployment, one at a time over
// HTTP with a viewer token, against a same-run baseline on the same server: a trivial JSON echo
// route (a bench-only plugin, same auth, same body reader) sent the same bodies. Target: p99 <= 50 ms.
import { Controller, HttpCode, Inject, Module, Post, Req } from '@nestjs/common';
import { startApi, type ApiHandle } from '@bulkhead/api';
import { silentLogger } from '@bulkhead/api/testing';
import { builtinPluginPackages } from '@bulkhead/builtin-plugins';
import { ApiTokenStore, ResultWriter } from '@bulkhead/persistence';
import { createTestDatabase } from '@bulkhead/persistence/testing';
import { definePlugin, PluginRegistry } from '@bulkhead/plugin-sdk';
import { definePluginApi, HOST_BODY_READER, RequireRole, type HostBodyReader, type HostRequest, type PluginApi } from '@bulkhead/plugin-sdk/api';
import { createRedis, deleteKeysWithPrefix } from '@bulkhead/queue';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { printTable } from './lib/measure';

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
  ];
  const [kind, object] = shapes[i % shapes.length] as [string, unknown];
  return JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { uid: `uid-${i}`, kind: { group: '', version: 'v1', kind }, operation: 'CREATE', namespace: 'bench', object } });
}

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

async function sample(url: string, token: string, check: (body: Record<string, unknown>, i: number) => void): Promise<number[]> {
  const send = async (i: number): Promise<void> => {
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: review(i) });
    if (response.status !== 200) throw new Error(`${url}: HTTP ${response.status} ${await response.text()}`);
    check((await response.json()) as Record<string, unknown>, i);
  };
  for (let i = 0; i < 50; i++) await send(i); // warm: plans, pool, JIT
  const out: number[] = [];
  for (let i = 0; i < REQUESTS; i++) {
    const start = performance.now();
    await send(i);
    out.push(performance.now() - start);
  }
  return out;
}

async function main(): Promise<void> {
  const scratch = await createTestDatabase('bench_admission');
  const work = mkdtempSync(path.join(tmpdir(), 'bulkhead-admission-bench-'));
  let api: ApiHandle | undefined;
  try {
    const writer = new ResultWriter(scratch.dataSource, null);
    await writer.artifact({ digest: digest('1'), manifestDigests: [digest('2')], references: [], size: 1, layers: [], metadata: {} });
    await writer.artifact({ digest: digest('3'), manifestDigests: [digest('4')], references: [], size: 1, layers: [], metadata: {} });
    await writer.findings([
      { kind: 'scanner', severity: 'HIGH', ruleId: 'CVE-0000-0001', title: 'high', target: digest('1'), fingerprint: 'f1' },
      { kind: 'scanner', severity: 'CRITICAL', ruleId: 'CVE-0000-0002', title: 'critical', target: digest('3'), fingerprint: 'f2' },
    ]);
    const policyFile = path.join(work, 'policy.json');
    writeFileSync(policyFile, JSON.stringify({ allowedRegistries: ['registry.example.com'], maxSeverity: 'HIGH', podSecurityLevel: 'baseline' }));
    api = await startApi({
      registry: new PluginRegistry(),
      plugins: [...builtinPluginPackages(), echoPackage],
      env: { DATABASE_URL: scratch.url, DATABASE_SCHEMA: scratch.schema, REDIS_URL, BULKHEAD_QUEUE_PREFIX: scratch.schema, BULKHEAD_RATE_LIMIT: '100000', BULKHEAD_ADMISSION_POLICY_FILE: policyFile },
      dataSource: scratch.dataSource,
      port: 0,
      host: '127.0.0.1',
      logger: silentLogger(),
    });
    const { secret: token } = await new ApiTokenStore(scratch.dataSource).create({ name: 'bench', team: 'default', role: 'viewer', expiresAt: null, createdBy: 'bench' });
    // Every answer is checked: clean and the Deployment of the clean image are allowed, the rest denied.
    const expected = [true, false, false, false, true];
    const admission = await sample(`${api.url}/admission/validate`, token, (body, i) => {
      const allowed = (body['response'] as { allowed?: boolean } | undefined)?.allowed;
      if (allowed !== expected[i % expected.length]) throw new Error(`request ${i}: allowed=${String(allowed)}, expected ${String(expected[i % expected.length])}: ${JSON.stringify(body)}`);
    });
    const echo = await sample(`${api.url}/bench-echo`, token, (body) => {
      if (body['kind'] !== 'AdmissionReview') throw new Error('the echo changed the body');
    });
    console.log(`\n${REQUESTS.toLocaleString('en')} requests each, one at a time; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} on ${cpus().length} CPUs\n`);
    const row = (name: string, values: number[], target: string): string[] => [
      name,
      percentile(values, 50).toFixed(2),
      percentile(values, 99).toFixed(2),
      (percentile(values, 99) / percentile(echo, 99)).toFixed(2),
      target,
    ];
    const p99 = percentile(admission, 99);
    printTable(
      ['case', 'p50 ms', 'p99 ms', 'ratio p99 (vs baseline)', 'target'],
      [row('baseline: JSON echo route (same server, auth, body reader)', echo, ''), row('POST /admission/validate (registries, findings, PSS)', admission, `p99 <= ${TARGET_P99_MS} ms: ${p99 <= TARGET_P99_MS ? 'PASS' : 'FAIL'}`)],
    );
  } finally {
    await api?.close();
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
