// Dashboard queries at 10,000,000 findings over 20,000 images: `npm run bench -- findings-scale [count] [--load-only]`.
// Not run by CI (it needs several GB of disk and minutes to load); the schema is dropped at the end,
// unless BENCH_FINDINGS_SCHEMA names it: then a complete earlier load in that schema is reused (its
// comment records the count it holds) or the schema is loaded and kept, so the measurement can be
// rerun on a quiet machine without the load (drop it with DROP SCHEMA <name> CASCADE).
//
// Load: a scratch schema gets `count` findings (default 10,000,000) of one team through COPY
// (psql, from a deterministic generator), secondary indexes dropped during the load and rebuilt
// after, the counter triggers off and the counters computed once afterwards (what the migration's
// backfill does). The mix is realistic: 20,000 images with skewed sizes (a few images hold
// thousands of findings, most a few hundred), 90% scanner / 8% benchmark / 2% runtime, severities
// 2% CRITICAL, 13% HIGH, 40% MEDIUM, 35% LOW, 10% UNKNOWN, statuses 70% OPEN, 28% RESOLVED, 2%
// SUPPRESSED, last seen over 90 days (an image's findings near its last scan), one task per image.
//
// Measure: the real API as its own process (dist/apps/api/src/main.js: every built-in plugin, auth,
// limits) answers GraphQL over HTTP (a keep-alive node:http client, lib/graphql-client.ts); each case is compared with the hand-written SQL for the same
// answer on the bench's own connection pool, in the same run. Targets: p95 <= 50 ms and <= 3x.
// Then a second API process with compiled queries off (BULKHEAD_GRAPHQL_COMPILED_QUERIES=0) against
// the first, pages of 50 and 200 alternately: what graphql-jit saves (informational).
import { ApiTokenStore } from '@bulkhead/persistence';
import { createDataSource, runMigrations } from '@bulkhead/persistence';
import { createTestDatabase, type TestDatabase } from '@bulkhead/persistence/testing';
import { createRedis, deleteKeysWithPrefix } from '@bulkhead/queue';
import type { ChildProcess } from 'node:child_process';
import { statfsSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { benchImage, loadFindings } from './lib/findings-generator';
import { percentile, printTable } from './lib/measure';
import { startApiProcess } from './lib/api-process';
import { GraphqlClient } from './lib/graphql-client';

const COUNT = Number(process.argv.slice(2).find((a) => !a.startsWith('--')) ?? 10_000_000);
/** With BENCH_FINDINGS_SCHEMA: load (or check) the kept schema and stop, measuring nothing. */
const LOAD_ONLY = process.argv.includes('--load-only');
const IMAGES = 20_000;
const SAMPLES = Number(process.env['BENCH_SAMPLES'] ?? 100);
const TARGET_P95_MS = 50;
const TARGET_RATIO = 3;
const TEAM = 'default';
const KEPT_SCHEMA = process.env['BENCH_FINDINGS_SCHEMA'];
const loadedMarker = (count: number) => `findings-scale: ${count} findings loaded`;

/**
 * The scratch schema: a fresh one dropped at the end, or the kept one BENCH_FINDINGS_SCHEMA names
 * (reused when its comment says a load of COUNT findings completed there).
 */
async function openScratch(): Promise<{ scratch: TestDatabase; loaded: boolean }> {
  if (!KEPT_SCHEMA) return { scratch: await createTestDatabase('bench_findings_scale'), loaded: false };
  if (!/^bh_[a-z0-9_]{1,50}$/.test(KEPT_SCHEMA)) throw new Error(`BENCH_FINDINGS_SCHEMA=${KEPT_SCHEMA}: expected bh_ followed by lower-case letters, digits and _`);
  const url = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const dataSource = createDataSource({ url, schema: KEPT_SCHEMA, poolSize: 5 });
  await runMigrations(dataSource);
  const [row] = (await dataSource.query(`SELECT obj_description(oid, 'pg_namespace') AS comment FROM pg_namespace WHERE nspname = $1`, [KEPT_SCHEMA])) as { comment: string | null }[];
  const loaded = row?.comment === loadedMarker(COUNT);
  if (!loaded && (await dataSource.query('SELECT 1 FROM finding LIMIT 1')).length > 0) {
    throw new Error(`schema ${KEPT_SCHEMA} holds findings but no completed load of ${COUNT}: drop it (DROP SCHEMA ${KEPT_SCHEMA} CASCADE) or name another`);
  }
  return { scratch: { dataSource, url, schema: KEPT_SCHEMA, drop: () => dataSource.destroy() }, loaded };
}




/**
 * p50/p95 of `samples` runs of each after 10 warm-up runs, the two alternating (and taking turns
 * at going first) so that both see the same moments of a shared machine; run(i) may vary its
 * input by the sample number.
 */
async function samplePair(a: (i: number) => Promise<unknown>, b: (i: number) => Promise<unknown>, samples = SAMPLES): Promise<[{ p50: number; p95: number }, { p50: number; p95: number }]> {
  for (let i = 0; i < 10; i++) {
    await a(i);
    await b(i);
  }
  const times: [number[], number[]] = [[], []];
  for (let i = 0; i < samples; i++) {
    // Each goes first every other sample: the first to read an input (an image's or a task's
    // findings) may find its pages cold and leaves them warm for the second.
    const runs = [a, b] as const;
    for (const index of i % 2 === 0 ? ([0, 1] as const) : ([1, 0] as const)) {
      const start = performance.now();
      await runs[index](i);
      times[index].push(performance.now() - start);
    }
  }
  return [
    { p50: percentile(times[0], 50), p95: percentile(times[0], 95) },
    { p50: percentile(times[1], 50), p95: percentile(times[1], 95) },
  ];
}

interface Case {
  name: string;
  /** GraphQL (sample number → query). */
  graphql: (i: number) => string;
  /** The hand-written SQL for the same answer (sample number → statement). */
  sql: (i: number) => { text: string; params: unknown[] };
  /** Whether the target applies (informational rows do not). */
  target: boolean;
}

const NODE = 'id kind severity ruleId title target location status firstSeenAt lastSeenAt';
const COLUMNS = 'id, kind, severity, rule_id, title, target, location, status, first_seen_at, last_seen_at';
const page = (where: string, params: unknown[]) => ({ text: `SELECT ${COLUMNS} FROM finding WHERE team = $1${where} ORDER BY last_seen_at DESC, id DESC LIMIT 51`, params: [TEAM, ...params] });

async function main(): Promise<void> {
  if (LOAD_ONLY && !KEPT_SCHEMA) throw new Error('--load-only needs BENCH_FINDINGS_SCHEMA (a load dropped at once measures nothing)');
  const { scratch, loaded } = await openScratch();
  const db = scratch.dataSource;
  let api: ChildProcess | undefined;
  let interpreted: ChildProcess | undefined;
  let client: GraphqlClient | undefined;
  try {
    const free = statfsSync(process.cwd());
    const freeGb = (free.bavail * free.bsize) / 1e9;
    const needGb = (COUNT / 1e6) * 1.6;
    if (!loaded && freeGb < needGb + 10) throw new Error(`${COUNT.toLocaleString('en')} findings need about ${needGb.toFixed(0)} GB; ${freeGb.toFixed(0)} GB free here`);
    const redisUrl = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
    // The API first: its start-up runs the plugins' migrations (their finding indexes), so the
    // load below rebuilds those too and the API serves the complete schema.
    const apiEnv = { DATABASE_URL: scratch.url, DATABASE_SCHEMA: scratch.schema, REDIS_URL: redisUrl, BULKHEAD_QUEUE_PREFIX: scratch.schema, BULKHEAD_RATE_LIMIT: '1000000' };
    const started = await startApiProcess(apiEnv);
    api = started.child;
    const url = started.url;
    if (loaded) console.log(`reusing the ${COUNT.toLocaleString('en')} findings kept in schema ${scratch.schema}`);
    else {
      const load = await loadFindings(db, scratch, { count: COUNT, images: IMAGES, team: TEAM });
      console.log(
        `loaded ${COUNT.toLocaleString('en')} findings over ${IMAGES.toLocaleString('en')} images: COPY ${load.copySeconds.toFixed(0)} s, indexes ${load.indexSeconds.toFixed(0)} s, counters ${load.counterSeconds.toFixed(0)} s, analyze ${load.analyzeSeconds.toFixed(0)} s; table ${load.tableSize}, indexes ${load.indexSize}`,
      );
      if (KEPT_SCHEMA) {
        await db.query(`COMMENT ON SCHEMA "${KEPT_SCHEMA}" IS '${loadedMarker(COUNT)}'`);
        console.log(`kept in schema ${KEPT_SCHEMA}: rerun with BENCH_FINDINGS_SCHEMA=${KEPT_SCHEMA} to measure without loading; DROP SCHEMA ${KEPT_SCHEMA} CASCADE when done`);
      }
    }
    if (LOAD_ONLY) return;

    const { secret: token } = await new ApiTokenStore(db).create({ name: 'bench', team: TEAM, role: 'viewer', expiresAt: null, createdBy: 'bench' });
    const graphqlClient = new GraphqlClient(url, token);
    client = graphqlClient;
    const graphql = async (query: string): Promise<Record<string, { pageInfo?: { endCursor: string | null }; edges: unknown[] }>> => {
      const body = await graphqlClient.post<{ data?: Record<string, { pageInfo?: { endCursor: string | null }; edges: unknown[] }>; errors?: unknown[] }>(query);
      if (!body.data || body.errors) throw new Error(`GraphQL errors: ${JSON.stringify(body.errors ?? body)}`);
      return body.data;
    };

    // Inputs that vary per sample: images of every size, and the tasks that scanned them.
    const images = Array.from({ length: 50 }, (_, i) => benchImage(i * Math.floor(IMAGES / 50)));
    const image = (i: number) => images[i % images.length] as { target: string; task: string };
    // Next pages start where a first page ended (cursor from the API, keys for the SQL).
    const nextOf = async (filter: string, where: string, params: unknown[]) => {
      const data = await graphql(`{ findings(first: 50${filter ? `, filter: { ${filter} }` : ''}) { pageInfo { endCursor } edges { cursor } } }`);
      const cursor = data['findings']?.pageInfo?.endCursor as string;
      const [lastSeenAt, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [string, string];
      return {
        graphql: () => `{ findings(first: 50${filter ? `, filter: { ${filter} }` : ''}, after: "${cursor}") { pageInfo { endCursor hasNextPage } edges { cursor node { ${NODE} } } } }`,
        sql: () => page(`${where} AND (last_seen_at, id) < ($${params.length + 2}::timestamptz, $${params.length + 3}::uuid)`, [...params, lastSeenAt, id]),
      };
    };
    const first = (filter: string) => () => `{ findings(first: 50${filter ? `, filter: { ${filter} }` : ''}) { pageInfo { endCursor hasNextPage } edges { cursor node { ${NODE} } } } }`;
    const cases: Case[] = [
      { name: 'first page, no filter', graphql: first(''), sql: () => page('', []), target: true },
      ...['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'UNKNOWN'].map((s) => ({ name: `first page, severity ${s}`, graphql: first(`severities: [${s}]`), sql: () => page(' AND severity = $2', [s]), target: true })),
      ...['OPEN', 'RESOLVED', 'SUPPRESSED'].map((s) => ({ name: `first page, status ${s}`, graphql: first(`status: ${s}`), sql: () => page(' AND status = $2', [s]), target: true })),
      ...['scanner', 'benchmark', 'runtime'].map((k) => ({ name: `first page, kind ${k}`, graphql: first(`kind: ${k.toUpperCase()}`), sql: () => page(' AND kind = $2', [k]), target: true })),
      { name: "one image's findings (50 images)", graphql: (i) => first(`target: "${image(i).target}"`)(), sql: (i) => page(' AND target = $2', [image(i).target]), target: true },
      { name: "one task's findings (50 tasks)", graphql: (i) => first(`taskId: "${image(i).task}"`)(), sql: (i) => page(' AND task_id = $2', [image(i).task]), target: true },
      { name: 'next page, no filter', ...(await nextOf('', '', [])), target: true },
      { name: 'next page, severity CRITICAL', ...(await nextOf('severities: [CRITICAL]', ' AND severity = $2', ['CRITICAL'])), target: true },
      { name: 'next page, status SUPPRESSED', ...(await nextOf('status: SUPPRESSED', ' AND status = $2', ['SUPPRESSED'])), target: true },
      {
        name: 'counts by severity (vs SQL on the counters)',
        graphql: () => '{ findingCounts(groupBy: SEVERITY) { edges { node { key count } } } }',
        sql: () => ({
          text: `SELECT severity, sum(n) FROM (SELECT severity, n FROM finding_count_team WHERE team = $1 UNION ALL SELECT severity, n FROM finding_count_delta WHERE team = $1) c GROUP BY 1 ORDER BY 1`,
          params: [TEAM],
        }),
        target: true,
      },
      {
        name: 'counts by status of one image (vs SQL on the counters)',
        graphql: (i) => `{ findingCounts(groupBy: STATUS, filter: { target: "${image(i).target}" }) { edges { node { key count } } } }`,
        sql: (i) => ({ text: `SELECT status, sum(n) FROM finding_count WHERE team = $1 AND target = $2 GROUP BY 1 ORDER BY 1`, params: [TEAM, image(i).target] }),
        target: true,
      },
      {
        name: 'counts per image, first 50 (vs SQL on the counters)',
        graphql: () => '{ findingCounts(groupBy: IMAGE, first: 50) { pageInfo { endCursor } edges { node { key count } } } }',
        sql: () => ({ text: `SELECT target, sum(n) FROM finding_count WHERE team = $1 GROUP BY 1 ORDER BY 1 LIMIT 51`, params: [TEAM] }),
        target: true,
      },
      {
        name: 'first page, CRITICAL, with totalCount',
        graphql: () => `{ findings(first: 50, filter: { severities: [CRITICAL] }) { totalCount edges { node { ${NODE} } } } }`,
        sql: () => page(' AND severity = $2', ['CRITICAL']),
        target: true,
      },
    ];

    const rows: string[][] = [];
    let failures = 0;
    for (const c of cases) {
      const [viaApi, viaSql] = await samplePair(
        (i) => graphql(c.graphql(i)),
        (i) => {
          const statement = c.sql(i);
          return db.query(statement.text, statement.params);
        },
      );
      const ratio = viaApi.p95 / viaSql.p95;
      const pass = viaApi.p95 <= TARGET_P95_MS && ratio <= TARGET_RATIO;
      if (c.target && !pass) failures++;
      rows.push([c.name, viaSql.p50.toFixed(1), viaSql.p95.toFixed(1), viaApi.p50.toFixed(1), viaApi.p95.toFixed(1), ratio.toFixed(2), c.target ? (pass ? 'PASS' : 'FAIL') : '']);
      process.stderr.write(`${c.name}: API p95 ${viaApi.p95.toFixed(1)} ms, SQL p95 ${viaSql.p95.toFixed(1)} ms\n`);
    }
    // The fixed part of any request (HTTP, token, rate limit, GraphQL) against a one-row SELECT.
    const [floor, select1] = await samplePair(
      () => graphqlClient.post('{ __typename }'),
      () => db.query('SELECT 1'),
    );
    rows.push(['(floor) { __typename } over HTTP vs SELECT 1', select1.p50.toFixed(1), select1.p95.toFixed(1), floor.p50.toFixed(1), floor.p95.toFixed(1), (floor.p95 / select1.p95).toFixed(2), '']);
    // Compiled queries (graphql-jit) against graphql-js: a second API process with them off, the same pages alternately.
    const second = await startApiProcess({ ...apiEnv, BULKHEAD_GRAPHQL_COMPILED_QUERIES: '0' });
    interpreted = second.child;
    const interpretedClient = new GraphqlClient(second.url, token);
    const compiledRows: string[][] = [];
    for (const size of [50, 200]) {
      const query = `{ findings(first: ${size}, filter: { severities: [MEDIUM] }) { pageInfo { endCursor hasNextPage } edges { cursor node { ${NODE} } } } }`;
      const [compiled, plain] = await samplePair(() => graphqlClient.post(query), () => interpretedClient.post(query), Math.max(SAMPLES, 300));
      compiledRows.push([`first page of ${size}, severity MEDIUM`, plain.p50.toFixed(1), plain.p95.toFixed(1), compiled.p50.toFixed(1), compiled.p95.toFixed(1), (compiled.p50 / plain.p50).toFixed(2)]);
    }
    interpretedClient.close();
    // What the counters save: the hand-written count over the findings themselves.
    const [scanCount] = await samplePair(() => db.query('SELECT severity, count(*) FROM finding WHERE team = $1 GROUP BY 1', [TEAM]), async () => undefined, 5);
    console.log(
      `\n${SAMPLES} samples per case after 10 warm-up runs; load average ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')} on ${cpus().length} CPUs. Hand-written count(*) by severity over the findings: p50 ${scanCount.p50.toFixed(0)} ms.\n`,
    );
    printTable(['case', 'SQL p50 ms', 'SQL p95 ms', 'API p50 ms', 'API p95 ms', 'ratio p95', `p95 <= ${TARGET_P95_MS} ms and <= ${TARGET_RATIO}x`], rows);
    console.log('\nThe same API with compiled queries off (BULKHEAD_GRAPHQL_COMPILED_QUERIES=0) against on, alternately:\n');
    printTable(['page', 'graphql-js p50 ms', 'graphql-js p95 ms', 'compiled p50 ms', 'compiled p95 ms', 'ratio p50'], compiledRows);
    if (failures > 0) process.exitCode = 1;
  } finally {
    client?.close();
    for (const child of [api, interpreted]) {
      if (child && child.exitCode === null) {
        child.kill('SIGTERM');
        await new Promise((resolve) => child.once('exit', resolve));
      }
    }
    await scratch.drop();
    // The API's queues used the schema name as their Redis prefix: remove exactly those keys.
    const redis = createRedis(process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379', 'producer');
    await deleteKeysWithPrefix(redis, scratch.schema).finally(() => redis.disconnect());
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
