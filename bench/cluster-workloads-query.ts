// The correlated workloads query over a large inventory: `npm run bench -- cluster-workloads-query [pods]`.
//
// A scratch schema (dropped at the end) holds, as the inventory, the image scans, the scanner and
// the signer store them: `pods` (default 10,000) running pods in 100 namespaces of one cluster,
// running 1,000 distinct digests (10 pods each), each digest scanned to its image id; 20
// vulnerability findings per image (20,000), one of them CVE-2099-0001 in every second image;
// a valid signature verdict for every fourth digest. The query "running workloads with
// CVE-2099-0001 whose image has no valid signature" (2,500 pods) asks for a page of 100 with its
// totalCount and every workload's images with their scan and signature state, over HTTP to the
// real API started as its own process (dist/apps/api/src/main.js, every built-in plugin's api
// entry). Baseline, same run: the raw SQL of a plain page of 100 workloads and their image rows
// (no correlation) on the same database. The ratio shows what the correlation costs; the page's
// fields are batched, so it does not grow with the page (no statement per workload).
import { ApiTokenStore } from '@bulkhead/persistence';
import { createTestDatabase } from '@bulkhead/persistence/testing';
import type { ChildProcess } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { percentile, printTable } from './lib/measure';
import { startApiProcess } from './lib/api-process';

const PODS = Number(process.argv[2] ?? 10_000);
const DIGESTS = 1000;
const SAMPLES = 50;
const QUERY = `{ workloads(filter: { vulnerability: "CVE-2099-0001", signed: false }, first: 100) {
  totalCount pageInfo { endCursor hasNextPage }
  edges { node { namespace kind name podSecurityLevel images { container digest imageId scanStatus signed } } } } }`;



async function query(url: string, token: string): Promise<{ totalCount: number; edges: { node: { images: { signed: boolean | null }[] } }[] }> {
  const response = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query: QUERY }) });
  const body = (await response.json()) as { data?: { workloads: { totalCount: number; edges: { node: { images: { signed: boolean | null }[] } }[] } }; errors?: unknown[] };
  if (!body.data || body.errors) throw new Error(`GraphQL errors: ${JSON.stringify(body.errors ?? body)}`);
  return body.data.workloads;
}


async function sample(run: () => Promise<unknown>): Promise<number[]> {
  for (let i = 0; i < 5; i++) await run();
  const out: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const start = performance.now();
    await run();
    out.push(performance.now() - start);
  }
  return out;
}

const digest = (d: string) => `'sha256:' || md5('m' || ${d}) || md5('n' || ${d})`;
const imageId = (d: string) => `'sha256:' || md5('i' || ${d}) || md5('j' || ${d})`;

async function main(): Promise<void> {
  const scratch = await createTestDatabase('bench_workloads');
  const db = scratch.dataSource;
  let api: ChildProcess | undefined;
  try {
    const redisUrl = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
    // The API runs the core and plugin migrations (cluster, cluster_image, signer tables) at start-up.
    const started = await startApiProcess({ DATABASE_URL: scratch.url, DATABASE_SCHEMA: scratch.schema, REDIS_URL: redisUrl, BULKHEAD_QUEUE_PREFIX: scratch.schema, BULKHEAD_RATE_LIMIT: '100000' });
    api = started.child;
    const load = performance.now();
    await db.query(
      `INSERT INTO cluster_workload (team, cluster, uid, kind, api_version, namespace, name, root_kind, root_name, root_uid, target, phase, pod_security_level, generation)
       SELECT 'default', 'prod', 'uid-' || i, 'Pod', 'v1', 'ns-' || (i % 100), 'pod-' || i, 'Pod', 'pod-' || i, 'uid-' || i,
              'cluster/prod/Pod/ns-' || (i % 100) || '/pod-' || i, 'Running', 'baseline', 1
         FROM generate_series(1, $1::int) AS i`,
      [PODS],
    );
    await db.query(
      `INSERT INTO cluster_workload_image (team, cluster, workload_uid, container_type, container, image, image_id, digest, repository)
       SELECT 'default', 'prod', 'uid-' || i, 'container', 'app', 'reg.example/app:' || (i % $2), 'reg.example/app@' || ${digest(`(i % $2)::text`)}, ${digest(`(i % $2)::text`)}, 'reg.example/app'
         FROM generate_series(1, $1::int) AS i`,
      [PODS, DIGESTS],
    );
    await db.query(
      `INSERT INTO cluster_image (team, manifest_digest, ref, image_id, scan_status, verify_status, scanned_at)
       SELECT 'default', ${digest('d::text')}, 'reg.example/app@' || ${digest('d::text')}, ${imageId('d::text')}, 'SUCCEEDED', 'SUCCEEDED', now()
         FROM generate_series(0, $1::int - 1) AS d`,
      [DIGESTS],
    );
    await db.query(
      `INSERT INTO finding (team, kind, severity, rule_id, title, target, location, data, fingerprint, first_seen_at, last_seen_at, status, producer, scope)
       SELECT 'default', 'scanner', CASE WHEN k = 0 THEN 'CRITICAL' ELSE 'MEDIUM' END,
              CASE WHEN k = 0 AND d % 2 = 0 THEN 'CVE-2099-0001' ELSE 'CVE-2098-' || (d * 20 + k) END, 'a vulnerability',
              ${imageId('d::text')}, 'pkg:npm/p' || k || '@1.0.0',
              jsonb_build_object('findingType', 'vulnerability', 'status', 'fixed', 'fixedVersion', '1.0.1'),
              md5(d || '/' || k), now(), now(), 'OPEN', 'scanner/vulnerability', ${imageId('d::text')}
         FROM generate_series(0, $1::int - 1) AS d CROSS JOIN generate_series(0, 19) AS k`,
      [DIGESTS],
    );
    await db.query(
      `INSERT INTO signer_signature (team, image_digest, reference, format, signature_digest, verifier, valid)
       SELECT 'default', ${digest('d::text')}, 'reg.example/app@' || ${digest('d::text')}, 'cosign-bundle', 'sha256:' || md5('s' || d) || md5('t' || d), 'key:' || md5('key') || md5('key2'), true
         FROM generate_series(0, $1::int - 1) AS d WHERE d % 4 = 0`,
      [DIGESTS],
    );
    for (const table of ['cluster_workload', 'cluster_workload_image', 'cluster_image', 'finding', 'signer_signature']) await db.query(`ANALYZE ${table}`);
    const loadSeconds = (performance.now() - load) / 1000;

    const { secret: token } = await new ApiTokenStore(db).create({ name: 'bench', team: 'default', role: 'viewer', expiresAt: null, createdBy: 'bench' });
    const check = await query(started.url, token);
    const expected = (PODS / DIGESTS) * (DIGESTS / 4);
    if (check.totalCount !== expected || check.edges.length !== 100 || check.edges.some((e) => e.node.images.some((i) => i.signed !== false))) {
      throw new Error(`wrong answer: totalCount ${check.totalCount} (expected ${expected}), ${check.edges.length} edges`);
    }
    const viaApi = await sample(() => query(started.url, token));
    const plain = await sample(async () => {
      const page: { uid: string }[] = await db.query(
        `SELECT cluster, uid, kind, namespace, name, root_uid, target, pod_security_level FROM cluster_workload WHERE team = 'default' ORDER BY cluster, namespace, kind, name, uid LIMIT 101`,
      );
      await db.query(`SELECT * FROM cluster_workload_image WHERE team = 'default' AND workload_uid = ANY($1::text[])`, [page.map((r) => r.uid)]);
    });
    console.log(
      `${PODS.toLocaleString('en')} pods, ${DIGESTS} digests, ${(DIGESTS * 20).toLocaleString('en')} findings loaded in ${loadSeconds.toFixed(1)} s; answer ${check.totalCount} workloads; ${SAMPLES} samples each; load average ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')} on ${cpus().length} CPUs\n`,
    );
    const [apiP50, apiP95, rawP50, rawP95] = [percentile(viaApi, 50), percentile(viaApi, 95), percentile(plain, 50), percentile(plain, 95)];
    printTable(
      ['case', 'p50 ms', 'p95 ms', 'ratio p50 (vs baseline)'],
      [
        ['baseline: raw SQL of a plain page of 100 workloads + their images', rawP50.toFixed(2), rawP95.toFixed(2), '1.00'],
        ['GraphQL workloads(CVE + signed: false, first: 100) + totalCount + images over HTTP', apiP50.toFixed(2), apiP95.toFixed(2), (apiP50 / rawP50).toFixed(2)],
      ],
    );
  } finally {
    if (api && api.exitCode === null) {
      api.kill('SIGTERM');
      await new Promise((resolve) => api?.once('exit', resolve));
    }
    await scratch.drop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
