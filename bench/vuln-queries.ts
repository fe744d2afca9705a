// The vulnerability queries with 1,000,000 vulnerability findings in Postgres:
// `npm run bench -- vuln-queries [count]`.
//
// A scratch schema (the test platform's, dropped at the end) gets `count` vulnerability findings
// (default 1,000,000) of one team, bulk-inserted with generate_series in the shape the scanner
// stores (kind scanner, data.findingType vulnerability, data.package / status / fixedVersion):
// 2,000 images of 500 vulnerabilities each over 30,000 advisories, severities 5% CRITICAL,
// 20% HIGH, 35% MEDIUM, 30% LOW, 10% UNKNOWN within every image (k, the finding's number within
// its image, picks them, so no image is all of one severity), 3 in 4 fixable, last seen over 30 days; another team holds
// 100,000 more (a team's queries must not pay for another's rows).
//
// Each query goes to the real API over HTTP (auth, limits, Nest, the scanner's resolvers) and is
// compared with a same-run baseline: the raw SQL of the same page on the same pool. Targets:
// p95 <= 50 ms for `findings(first: 50, severity: CRITICAL)` and for
// `Image.vulnerabilities(first: 50, severity: CRITICAL)`. Image digests rotate between samples,
// so no answer is served from a warm page of one image. EXPLAIN of the image page is printed.
import { graphqlData, startTestPlatform } from '@bulkhead/api/testing';
import { builtinPluginPackages, registryOf } from '@bulkhead/builtin-plugins';
import { ResultWriter } from '@bulkhead/persistence';
import { compileFindingCountQuery, compileFindingGroupQuery, compileFindingPageQuery, type FindingFilter } from '@bulkhead/plugin-sdk/api';
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { percentile, printTable } from './lib/measure';

const COUNT = Number(process.argv[2] ?? 1_000_000);
const IMAGES = 2_000;
const OTHER_TEAM = 100_000;
const SAMPLES = 200;
const TARGET_P95_MS = 50;

const FINDINGS_QUERY = `{ findings(first: 50, filter: { severities: [CRITICAL] }) {
  totalCount pageInfo { endCursor hasNextPage }
  edges { cursor node { id kind severity ruleId title target location status firstSeenAt lastSeenAt } } } }`;
const IMAGE_QUERY = `query($d: String!) { image(digest: $d) { vulnerabilities(first: 50, severity: [CRITICAL]) {
  totalCount pageInfo { endCursor hasNextPage }
  edges { cursor node { id advisoryId aliases severity title status installedVersion fixedVersion fixAvailable advisoryStatus layer package { name version purl path } firstSeenAt lastSeenAt } } } } }`;
const IMAGE_ONLY_QUERY = `query($d: String!) { image(digest: $d) { digest } }`;
const IMAGE_TOTAL_QUERY = `query($d: String!) { image(digest: $d) { vulnerabilities(first: 50, severity: [CRITICAL]) { totalCount } } }`;
const COUNTS_QUERY = `query($d: String!) { image(digest: $d) { vulnerabilityCounts { critical high medium low unknown total fixable } } }`;
const WHICH_QUERY = `query($id: String!) { imagesWithVulnerability(id: $id, first: 50) { totalCount pageInfo { endCursor hasNextPage } edges { node { digest findingCount } } } }`;


async function sample(run: (i: number) => Promise<unknown>): Promise<number[]> {
  for (let i = 0; i < 20; i++) await run(i); // warm: plans, pool, JIT
  const out: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const start = performance.now();
    await run(i + 20);
    out.push(performance.now() - start);
  }
  return out;
}

/** The image digest of image number `n` (as the INSERT below builds it). */
const imageSql = (n: string) => `'sha256:' || md5((${n})::text) || md5('i' || (${n})::text)`;

async function main(): Promise<void> {
  const packages = builtinPluginPackages();
  // The rate limit stays on (each request is still counted in Redis), high enough for ~1,300 requests.
  const platform = await startTestPlatform({ label: 'bench_vulns', registry: registryOf(packages), plugins: packages, kinds: ['scanner'], env: { BULKHEAD_RATE_LIMIT: '100000' } });
  const db = platform.db.dataSource;
  try {
    const load = performance.now();
    // The images themselves, stored as a scan stores them (image(digest:) reads them).
    const digests: string[] = (await db.query(`SELECT ${imageSql('n')} AS d FROM generate_series(0, $1::int - 1) AS n`, [IMAGES])).map((row: { d: string }) => row.d);
    const writer = new ResultWriter(db, null, undefined, { team: 'default' });
    for (const digest of digests) await writer.artifact({ digest, references: [`registry.test/app:${digest.slice(7, 15)}`], size: 1, layers: [], os: { family: 'debian', version: '12' } });
    // Bulk load as an operator restoring data would: secondary indexes dropped, rebuilt after.
    const secondary: { name: string; definition: string }[] = await db.query(
      `SELECT i.indexname AS name, i.indexdef AS definition FROM pg_indexes i
        WHERE i.schemaname = current_schema() AND i.tablename = 'finding'
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)`,
    );
    for (const index of secondary) await db.query(`DROP INDEX "${index.name}"`);
    const insert = async (team: string, from: number, to: number, images: number): Promise<void> => {
      await db.query(
        `INSERT INTO finding (team, kind, severity, rule_id, title, target, location, data, fingerprint, first_seen_at, last_seen_at, status, producer, scope)
         SELECT $3, 'scanner',
                CASE WHEN s < 5 THEN 'CRITICAL' WHEN s < 25 THEN 'HIGH' WHEN s < 60 THEN 'MEDIUM' WHEN s < 90 THEN 'LOW' ELSE 'UNKNOWN' END,
                'CVE-2024-' || r, 'CVE-2024-' || r || ' in p' || (i % 700),
                ${imageSql('i % $4::int')}, 'pkg:deb/debian/p' || (i % 700) || '@1.' || (i % 13) || ' (var/lib/dpkg/status)',
                jsonb_build_object('findingType', 'vulnerability', 'aliases', jsonb_build_array('GHSA-' || r),
                  'package', jsonb_build_object('type', 'deb', 'name', 'p' || (i % 700), 'version', '1.' || (i % 13), 'purl', 'pkg:deb/debian/p' || (i % 700) || '@1.' || (i % 13), 'path', 'var/lib/dpkg/status'),
                  'installedVersion', '1.' || (i % 13), 'status', CASE WHEN k % 4 = 0 THEN 'affected' ELSE 'fixed' END, 'severitySource', 'debian',
                  'evidence', jsonb_build_object('source', 'debian-tracker'), 'layer', 'sha256:' || md5((i % 5)::text))
                  || CASE WHEN k % 4 = 0 THEN '{}'::jsonb ELSE jsonb_build_object('fixedVersion', '1.' || (i % 13 + 1)) END,
                md5($3 || i::text), ts, ts, 'OPEN', 'scanner/vulnerability', ${imageSql('i % $4::int')}
           FROM (SELECT i, k, (k * 7919) % 100 AS s, (k * 7919 + i) % 30000 AS r, now() - ((i * 104729) % 2592000) * interval '1 second' AS ts
                   FROM generate_series($1::bigint, $2::bigint) AS i, LATERAL (SELECT i / $4::int AS k) AS per_image) AS g`,
        [from, to, team, images],
      );
    };
    const CHUNK = 250_000;
    for (let from = 1; from <= COUNT; from += CHUNK) {
      const to = Math.min(COUNT, from + CHUNK - 1);
      await insert('default', from, to, IMAGES);
      process.stderr.write(`inserted ${to} findings\n`);
    }
    await insert('other', 1, OTHER_TEAM, 200);
    for (const index of secondary) await db.query(index.definition);
    await db.query('VACUUM ANALYZE finding');
    const loadSeconds = (performance.now() - load) / 1000;

    const digest = (i: number): string => digests[(i * 7) % digests.length] as string;
    const url = platform.api.url;
    const vulnFilter = (target: string): FindingFilter => ({ kinds: ['scanner'], targets: [target], severities: ['CRITICAL'], data: [{ path: ['findingType'], equals: 'vulnerability' }] });
    const check = await graphqlData<{ image: { vulnerabilities: { totalCount: number; edges: unknown[] } } }>(url, IMAGE_QUERY, { d: digest(0) });
    const all = await graphqlData<{ findings: { totalCount: number } }>(url, FINDINGS_QUERY);

    const findingsPage = compileFindingPageQuery('finding', { severities: ['CRITICAL'] }, { limit: 51, team: 'default' });
    const findingsCount = compileFindingCountQuery('finding', { severities: ['CRITICAL'] }, undefined, 'default');
    const apiFindings = await sample(() => graphqlData(url, FINDINGS_QUERY));
    const rawFindings = await sample(() => Promise.all([db.query(findingsPage.sql, findingsPage.params), db.query(findingsCount.sql, findingsCount.params)]));

    const imagePage = (i: number) => compileFindingPageQuery('finding', vulnFilter(digest(i)), { limit: 51, team: 'default' });
    const imageCount = (i: number) => compileFindingCountQuery('finding', vulnFilter(digest(i)), undefined, 'default');
    const apiImage = await sample((i) => graphqlData(url, IMAGE_QUERY, { d: digest(i) }));
    const rawImage = await sample((i) => {
      const page = imagePage(i);
      const count = imageCount(i);
      return Promise.all([db.query(page.sql, page.params), db.query(count.sql, count.params)]);
    });
    const apiImageOnly = await sample((i) => graphqlData(url, IMAGE_ONLY_QUERY, { d: digest(i) }));
    const apiImageTotal = await sample((i) => graphqlData(url, IMAGE_TOTAL_QUERY, { d: digest(i) }));
    const apiCounts = await sample((i) => graphqlData(url, COUNTS_QUERY, { d: digest(i) }));
    const apiWhich = await sample((i) => graphqlData(url, WHICH_QUERY, { id: `CVE-2024-${(i * 13) % 30000}` }));
    const rawWhich = await sample((i) => {
      const statement = compileFindingGroupQuery('finding', { kinds: ['scanner'], ruleIds: [`CVE-2024-${(i * 13) % 30000}`], data: [{ path: ['findingType'], equals: 'vulnerability' }] }, { groupBy: ['target'], limit: 51, team: 'default' });
      return db.query(statement.sql, statement.params);
    });
    const floor = await sample(() => graphqlData(url, '{ __typename }'));

    const page = imagePage(0);
    const plan = ((await db.query(`EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) ${page.sql}`, page.params)) as { 'QUERY PLAN': string }[]).map((r) => r['QUERY PLAN']).join('\n');
    console.log(`\nEXPLAIN of the Image.vulnerabilities(first: 50, severity: CRITICAL) page:\n${plan}\n`);

    console.log(
      `${COUNT.toLocaleString('en')} vulnerability findings (+${OTHER_TEAM.toLocaleString('en')} of another team) loaded in ${loadSeconds.toFixed(1)} s; CRITICAL in the team: ${all.findings.totalCount.toLocaleString('en')}; CRITICAL in one image: ${check.image.vulnerabilities.totalCount}; ${SAMPLES} samples each; load average ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')} on ${cpus().length} CPUs\n`,
    );
    const row = (name: string, api: number[], raw: number[] | undefined, target: boolean): string[] => {
      const p95 = percentile(api, 95);
      return [
        name,
        percentile(api, 50).toFixed(2),
        p95.toFixed(2),
        raw ? `${percentile(raw, 50).toFixed(2)} / ${percentile(raw, 95).toFixed(2)}` : '',
        raw ? (p95 / percentile(raw, 95)).toFixed(2) : '',
        target ? `p95 <= ${TARGET_P95_MS} ms: ${p95 <= TARGET_P95_MS ? 'PASS' : 'FAIL'}` : '',
      ];
    };
    printTable(
      ['case (GraphQL over HTTP)', 'p50 ms', 'p95 ms', 'baseline raw SQL p50 / p95 ms', 'ratio p95', 'target'],
      [
        row('{ __typename } (auth, limits: the floor)', floor, undefined, false),
        row('findings(first: 50, severity: CRITICAL) + totalCount', apiFindings, rawFindings, true),
        row('(part) image(digest:) { digest }: the host image lookup', apiImageOnly, undefined, false),
        row('(part) Image.vulnerabilities(first: 50, CRITICAL) { totalCount } only', apiImageTotal, undefined, false),
        row('Image.vulnerabilities(first: 50, severity: CRITICAL) + totalCount', apiImage, rawImage, true),
        row('Image.vulnerabilityCounts', apiCounts, undefined, false),
        row('imagesWithVulnerability(id, first: 50) + totalCount', apiWhich, rawWhich, false),
      ],
    );
  } finally {
    await platform.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
