// `findings(first: 50, filter: { severities: [CRITICAL] })` with 1,000,000 findings in Postgres:
// `npm run bench -- findings-query [count]`.
//
// A scratch schema (dropped at the end) gets `count` findings (default 1,000,000) of one team,
// bulk-inserted with generate_series in the shapes scans store (vulnerabilities of 10,000 images,
// severities 5% CRITICAL, 20% HIGH, 35% MEDIUM, 30% LOW, 10% UNKNOWN, last seen over 30 days).
// The core GraphQL query is sent over HTTP to the real API, started as its own process
// (dist/apps/api/src/main.js, as deployed: every built-in plugin's api entry, auth, limits),
// asking for the page and its totalCount as a client does, and compared with a same-run baseline: the raw SQL of the same page on the same
// connection pool. The target is p95 <= 50 ms. EXPLAIN of the page query is printed with the
// index (IDX_finding_team_severity_last_seen_at_id) and, inside a rolled-back transaction,
// without it.
import { ApiTokenStore } from '@bulkhead/persistence';
import { createTestDatabase } from '@bulkhead/persistence/testing';
import { compileFindingCountQuery, compileFindingPageQuery } from '@bulkhead/plugin-sdk/api';
import type { ChildProcess } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { percentile, printTable } from './lib/measure';
import { startApiProcess } from './lib/api-process';



/** The API as its own process on the scratch schema; resolves once /readyz answers 200. */

async function graphqlData(url: string, token: string, query: string): Promise<{ findings: { totalCount: number } }> {
  const response = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query }) });
  const body = (await response.json()) as { data?: { findings: { totalCount: number } }; errors?: unknown[] };
  if (!body.data || body.errors) throw new Error(`GraphQL errors: ${JSON.stringify(body.errors ?? body)}`);
  return body.data;
}

const COUNT = Number(process.argv[2] ?? 1_000_000);
const SAMPLES = 200;
const TARGET_P95_MS = 50;
const QUERY = `{ findings(first: 50, filter: { severities: [CRITICAL] }) {
  totalCount pageInfo { endCursor hasNextPage }
  edges { cursor node { id kind severity ruleId title target location status firstSeenAt lastSeenAt } } } }`;


async function sample(run: () => Promise<unknown>): Promise<number[]> {
  for (let i = 0; i < 20; i++) await run(); // warm: plans, pool, JIT
  const out: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const start = performance.now();
    await run();
    out.push(performance.now() - start);
  }
  return out;
}

async function main(): Promise<void> {
  const scratch = await createTestDatabase('bench_findings');
  const db = scratch.dataSource;
  let api: ChildProcess | undefined;
  try {
    const load = performance.now();
    // Bulk load as an operator restoring data would: secondary indexes dropped, rebuilt after.
    const secondary: { name: string; definition: string }[] = await db.query(
      `SELECT i.indexname AS name, i.indexdef AS definition FROM pg_indexes i
        WHERE i.schemaname = current_schema() AND i.tablename = 'finding'
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)`,
    );
    for (const index of secondary) await db.query(`DROP INDEX "${index.name}"`);
    const CHUNK = 250_000;
    for (let from = 1; from <= COUNT; from += CHUNK) {
      const to = Math.min(COUNT, from + CHUNK - 1);
      await db.query(
        `INSERT INTO finding (team, kind, severity, rule_id, title, target, location, data, fingerprint, first_seen_at, last_seen_at, status, producer, scope)
         SELECT 'default', 'scanner',
                CASE WHEN s < 5 THEN 'CRITICAL' WHEN s < 25 THEN 'HIGH' WHEN s < 60 THEN 'MEDIUM' WHEN s < 90 THEN 'LOW' ELSE 'UNKNOWN' END,
                'CVE-2024-' || (i % 30000), 'CVE-2024-' || (i % 30000) || ' in package p' || (i % 700),
                'sha256:' || md5((i % 10000)::text) || md5('x' || (i % 10000)::text),
                'pkg:deb/debian/p' || (i % 700) || '@1.' || (i % 13),
                jsonb_build_object('findingType', 'vulnerability', 'installedVersion', '1.' || (i % 13), 'status', 'fixed', 'fixedVersion', '1.' || (i % 13 + 1)),
                md5(i::text), ts, ts, 'OPEN', 'scanner/vulnerability', 'sha256:' || md5((i % 10000)::text)
           FROM (SELECT i, (i * 7919) % 100 AS s, now() - ((i * 104729) % 2592000) * interval '1 second' AS ts FROM generate_series($1::bigint, $2::bigint) AS i) AS g`,
        [from, to],
      );
      process.stderr.write(`inserted ${to} findings\n`);
    }
    for (const index of secondary) await db.query(index.definition);
    await db.query('VACUUM ANALYZE finding');
    const loadSeconds = (performance.now() - load) / 1000;

    const redisUrl = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
    const started = await startApiProcess({ DATABASE_URL: scratch.url, DATABASE_SCHEMA: scratch.schema, REDIS_URL: redisUrl, BULKHEAD_QUEUE_PREFIX: scratch.schema, BULKHEAD_RATE_LIMIT: '100000' });
    api = started.child;
    const url = started.url;
    const { secret: token } = await new ApiTokenStore(db).create({ name: 'bench', team: 'default', role: 'viewer', expiresAt: null, createdBy: 'bench' });
    const check = await graphqlData(url, token, QUERY);
    const statement = compileFindingPageQuery('finding', { severities: ['CRITICAL'] }, { limit: 51, team: 'default' });
    const count = compileFindingCountQuery('finding', { severities: ['CRITICAL'] }, undefined, 'default');
    const viaApi = await sample(() => graphqlData(url, token, QUERY));
    const raw = await sample(() => db.query(statement.sql, statement.params));
    const counting = await sample(() => db.query(count.sql, count.params));
    const floor = await sample(async () => void (await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: '{"query":"{ __typename }"}' })).json());

    const explain = async (): Promise<string> => ((await db.query(`EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) ${statement.sql}`, statement.params)) as { 'QUERY PLAN': string }[]).map((r) => r['QUERY PLAN']).join('\n');
    console.log(`\nEXPLAIN of the page query (with IDX_finding_team_severity_last_seen_at_id):\n${await explain()}`);
    const without = await db.transaction(async (manager) => {
      await manager.query('DROP INDEX "IDX_finding_team_severity_last_seen_at_id"');
      const rows = (await manager.query(`EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) ${statement.sql}`, statement.params)) as { 'QUERY PLAN': string }[];
      throw Object.assign(new Error('rollback'), { plan: rows.map((r) => r['QUERY PLAN']).join('\n') });
    }).catch((error: { plan?: string }) => error.plan ?? String(error));
    console.log(`\nEXPLAIN without that index (dropped in a rolled-back transaction):\n${without}\n`);

    const [apiP50, apiP95, rawP50, rawP95] = [percentile(viaApi, 50), percentile(viaApi, 95), percentile(raw, 50), percentile(raw, 95)];
    console.log(
      `${COUNT.toLocaleString('en')} findings loaded in ${loadSeconds.toFixed(1)} s; CRITICAL: ${check.findings.totalCount.toLocaleString('en')}; ${SAMPLES} samples each; load average ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')} on ${cpus().length} CPUs\n`,
    );
    printTable(
      ['case', 'p50 ms', 'p95 ms', 'ratio p95 (vs baseline)', 'target'],
      [
        ['baseline: raw SQL of the same page (pg pool)', rawP50.toFixed(2), rawP95.toFixed(2), '1.00', ''],
        ['(part) raw SQL of its totalCount', percentile(counting, 50).toFixed(2), percentile(counting, 95).toFixed(2), (percentile(counting, 95) / rawP95).toFixed(2), ''],
        ['(part) GraphQL { __typename } over HTTP (auth, limits)', percentile(floor, 50).toFixed(2), percentile(floor, 95).toFixed(2), (percentile(floor, 95) / rawP95).toFixed(2), ''],
        ['GraphQL findings(first: 50, CRITICAL) + totalCount over HTTP', apiP50.toFixed(2), apiP95.toFixed(2), (apiP95 / rawP95).toFixed(2), `p95 <= ${TARGET_P95_MS} ms: ${apiP95 <= TARGET_P95_MS ? 'PASS' : 'FAIL'}`],
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
