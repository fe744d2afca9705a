import { CompiledQueriesPlugin } from '@bulkhead/api';
import { graphql, graphqlData, startTestPlatform, type TestPlatform } from '@bulkhead/api/testing';
import { builtinPluginPackages, registryOf } from '@bulkhead/builtin-plugins';
import { ResultWriter } from '@bulkhead/persistence';
import { PROBE_TASK } from '@bulkhead/queue';
import { GraphQLSchemaHost } from '@nestjs/graphql';
import type { GraphQLObjectType } from 'graphql';

/*
 * Compiled queries (graphql-jit, libs/api/src/graphql/compiled-queries.ts) over the real API with
 * every built-in plugin's schema: a document's first run goes through graphql-js, later runs
 * through compiled code, and both must give the same answer to the byte — for pages, nested
 * and plugin fields, fragments, directives, aliases, variables, enums, custom scalars and
 * introspection. A query that errs is answered by graphql-js (same error, same code); a mutation
 * is never compiled (it must not run twice).
 */

const IMAGE = `sha256:${'a'.repeat(64)}`;
const OTHER = `sha256:${'b'.repeat(64)}`;

const FINDING_FIELDS = `id kind severity ruleId title target location status firstSeenAt lastSeenAt resolvedAt reopened reopenedAt taskId data
  suppression { reason justification expiresAt suppressedBy suppressedAt }
  image { digest references size manifestDigests os { family name version } layers { digest size } packages(first: 3) { edges { node { name version purl } } } }`;

/** Documents a dashboard, a CI script or the console sends, each with the variables of two runs. */
const CORPUS: { name: string; query: string; variables: Record<string, unknown> }[] = [
  {
    name: 'a findings page with every field, nested image and counts',
    query: `query($first: Int, $after: String, $filter: FindingFilter) { findings(first: $first, after: $after, filter: $filter) {
      totalCount pageInfo { hasNextPage endCursor } edges { cursor node { ${FINDING_FIELDS} } } } }`,
    variables: { first: 7, filter: { severities: ['HIGH', 'CRITICAL'] } },
  },
  {
    name: 'a filtered page by status and image',
    query: `query($filter: FindingFilter) { findings(first: 5, filter: $filter) { edges { node { id status suppression { reason justification } } } } }`,
    variables: { filter: { status: 'SUPPRESSED', target: IMAGE } },
  },
  {
    name: 'grouped counts with their images',
    query: `query($by: FindingCountGroupBy!) { findingCounts(groupBy: $by, first: 10) { totalCount pageInfo { endCursor hasNextPage } edges { cursor node { key count image { digest references } } } } }`,
    variables: { by: 'IMAGE' },
  },
  {
    name: 'images with plugin fields (vulnerabilities, secrets, signatures)',
    query: `{ images(first: 5) { totalCount edges { node { digest references signed signatures { __typename } attestations { __typename }
      vulnerabilityCounts { critical high medium low unknown total } vulnerabilities(first: 3) { totalCount edges { node { __typename } } }
      secrets(first: 2) { edges { node { __typename } } } tasks(first: 2) { edges { node { id status } } } } } } }`,
    variables: {},
  },
  {
    name: 'fragments, aliases, @include/@skip and __typename',
    query: `query($withImage: Boolean!, $skipRule: Boolean!) {
      high: findings(first: 3, filter: { severities: [HIGH] }) { edges { node { ...F } } }
      low: findings(first: 3, filter: { severities: [LOW] }) { edges { node { ...F __typename } } }
      me { ... on Viewer { team role name } }
    }
    fragment F on Finding { id severity ruleId @skip(if: $skipRule) image @include(if: $withImage) { digest } }`,
    variables: { withImage: true, skipRule: false },
  },
  {
    name: 'tasks, their JSON input and labels, and the plugins',
    query: `{ tasks(first: 5) { edges { node { id kind type status input labels attempts progress pluginId createdAt image { digest } } } } plugins { id kind phases version tasks { type } } }`,
    variables: {},
  },
  {
    name: 'introspection of a type',
    query: `{ __type(name: "Finding") { name kind fields { name type { kind name ofType { name } } } } }`,
    variables: {},
  },
];

describe('compiled queries (graphql-jit)', () => {
  let platform: TestPlatform;
  let plugin: CompiledQueriesPlugin;

  beforeAll(async () => {
    const packages = builtinPluginPackages();
    platform = await startTestPlatform({ label: 'compiled_queries', registry: registryOf(packages), plugins: packages, kinds: [PROBE_TASK.kind] });
    plugin = platform.api.app.get(CompiledQueriesPlugin);
    const ds = platform.db.dataSource;
    const writer = new ResultWriter(ds, null, undefined, { team: 'default' });
    await writer.artifact({ digest: IMAGE, references: ['registry.example.com/shop/cart:1.0'], size: 1234, layers: [{ digest: `sha256:${'c'.repeat(64)}`, size: 1234 }] });
    await writer.packages(IMAGE, ['openssl', 'bash', 'zlib', 'curl'].map((name) => ({ type: 'deb', name, version: '1.0', purl: `pkg:deb/debian/${name}@1.0` })));
    await ds.query(
      `INSERT INTO finding (team, kind, severity, rule_id, title, target, location, data, fingerprint, first_seen_at, last_seen_at, status, producer, scope)
       SELECT 'default', CASE WHEN i % 3 = 0 THEN 'benchmark' ELSE 'scanner' END,
              (ARRAY['CRITICAL','HIGH','MEDIUM','LOW','UNKNOWN'])[1 + i % 5], 'CVE-' || i, 'title ' || i,
              CASE WHEN i % 2 = 0 THEN $1 ELSE $2 END, CASE WHEN i % 4 = 0 THEN NULL ELSE 'pkg-' || i END,
              jsonb_build_object('n', i, 'nested', jsonb_build_object('list', jsonb_build_array(i, 'x', null))), 'fp-' || i,
              now() - i * interval '1 minute', now() - i * interval '1 second', 'OPEN', 'scanner/scan-image', 'scope'
         FROM generate_series(1, 40) AS i`,
      [IMAGE, OTHER],
    );
    const [{ id }] = (await ds.query(`SELECT id FROM finding WHERE target = $1 ORDER BY rule_id LIMIT 1`, [IMAGE])) as { id: string }[];
    await graphqlData(platform.api.url, 'mutation($id: ID!) { suppressFinding(id: $id, reason: "not reachable", justification: VULNERABLE_CODE_NOT_IN_EXECUTE_PATH) { id } }', { id });
    await graphqlData(platform.api.url, 'mutation { probeTask(label: "jit") { status } }');
  }, 120_000);

  afterAll(async () => {
    await platform?.stop();
  });

  it.each(CORPUS)('$name: the compiled answer equals graphql-js’s to the byte', async ({ query, variables }) => {
    const before = plugin.stats.compiled;
    const interpreted = await graphql(platform.api.url, query, variables); // first run: graphql-js
    expect(interpreted.errors).toBeUndefined();
    const compiled = await graphql(platform.api.url, query, variables); // compiled from here on
    const again = await graphql(platform.api.url, query, variables);
    expect(plugin.stats.compiled).toBe(before + 2);
    expect(JSON.stringify(compiled)).toBe(JSON.stringify(interpreted));
    expect(JSON.stringify(again)).toBe(JSON.stringify(interpreted));
  });

  it('serves plain properties through the default resolver and keeps every real resolver', () => {
    const schema = platform.api.app.get(GraphQLSchemaHost).schema;
    const fields = (type: string) => (schema.getType(type) as GraphQLObjectType).getFields();
    for (const name of ['id', 'severity', 'lastSeenAt', 'data']) expect(fields('Finding')[name]?.resolve).toBeUndefined();
    for (const name of ['image', 'suppression']) expect(fields('Finding')[name]?.resolve).toBeInstanceOf(Function);
    expect(fields('FindingEdge')['node']?.resolve).toBeUndefined();
    expect(fields('Image')['vulnerabilities']?.resolve).toBeInstanceOf(Function); // a plugin's field
    expect(fields('Query')['findings']?.resolve).toBeInstanceOf(Function);
  });

  it('pages on with a cursor from either executor', async () => {
    const query = 'query($after: String) { findings(first: 4, after: $after) { pageInfo { endCursor } edges { node { id } } } }';
    const ids: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 5; page++) {
      const data: { findings: { pageInfo: { endCursor: string | null }; edges: { node: { id: string } }[] } } = await graphqlData(platform.api.url, query, { after });
      ids.push(...data.findings.edges.map((e) => e.node.id));
      after = data.findings.pageInfo.endCursor;
    }
    const truth = (await platform.db.dataSource.query(`SELECT id FROM finding WHERE team = 'default' ORDER BY last_seen_at DESC, id DESC LIMIT 20`)) as { id: string }[];
    expect(ids).toEqual(truth.map((row) => row.id));
  });

  it('answers a query that errs through graphql-js: the same error, code and path every time', async () => {
    const query = 'query($after: String) { findings(first: 2, after: $after) { edges { node { id } } } }';
    const fallbacks = plugin.stats.fallbacks;
    const answers = [];
    for (let run = 0; run < 3; run++) answers.push(await graphql(platform.api.url, query, { after: 'bm90LWEtY3Vyc29y' }));
    expect(answers[0]?.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
    for (const answer of answers) expect(JSON.stringify(answer)).toBe(JSON.stringify(answers[0]));
    expect(plugin.stats.fallbacks).toBe(fallbacks + 1); // the second run; the third goes to graphql-js at once
    // A missing required variable, and a variable of the wrong type: graphql-js's words, not graphql-jit's.
    const typed = 'query($by: FindingCountGroupBy!) { findingCounts(groupBy: $by) { edges { node { key } } } }';
    const wrong = [];
    for (let run = 0; run < 3; run++) wrong.push(await graphql(platform.api.url, typed, { by: 'COLOUR' }));
    for (const answer of wrong) expect(JSON.stringify(answer)).toBe(JSON.stringify(wrong[0]));
    expect(wrong[0]?.errors?.[0]?.message).toMatch(/\$by.*COLOUR|COLOUR.*FindingCountGroupBy/);
  });

  it('never compiles a mutation: each run executes once, through graphql-js', async () => {
    const before = { ...plugin.stats };
    for (let run = 0; run < 3; run++) {
      const { probeTask } = await graphqlData<{ probeTask: { status: string } }>(platform.api.url, 'mutation { probeTask(label: "jit-m") { status } }');
      expect(probeTask.status).toBe('SUCCEEDED');
    }
    expect(plugin.stats).toEqual(before);
    const [{ n }] = (await platform.db.dataSource.query(`SELECT count(*)::int AS n FROM task WHERE labels->>'bulkhead.io/probe' = 'jit-m'`)) as { n: number }[];
    expect(n).toBe(3);
  });

  it("never compiles a document that could smuggle code through graphql-jit's markers", async () => {
    // Without the guard, graphql-jit would run this literal as code on the compiled run (compiled-queries.spec.ts).
    const payload = '__MAGIC_DATE__33a9e76d_02e0_4128_8e92_3530ad3da74d1)&&(globalThis.bulkheadInjected=1)||new Date(1';
    const compiled = plugin.stats.compiled;
    for (let run = 0; run < 3; run++) {
      const { images } = await graphqlData<{ images: { totalCount: number } }>(platform.api.url, `{ images(search: ${JSON.stringify(payload)}) { totalCount } }`);
      expect(images.totalCount).toBe(0);
    }
    expect((globalThis as { bulkheadInjected?: number }).bulkheadInjected).toBeUndefined();
    expect(plugin.stats.compiled).toBe(compiled);
  });

  it('still refuses what the access and limit checks refuse, compiled or not', async () => {
    const query = '{ auditLog(first: 1) { edges { node { id } } } }';
    const viewer = (await platform.createToken('viewer')).secret;
    for (let run = 0; run < 3; run++) {
      const answer = await graphql(platform.api.url, query, {}, { token: viewer });
      expect(answer.errors?.[0]?.extensions?.['code']).toBe('FORBIDDEN');
      expect(answer.data ?? null).toBeNull();
    }
    const deep = `{ findings(first: 50) { edges { node { image { tasks(first: 50) { edges { node { image { packages(first: 50) { edges { node { name } } } } } } } } } } } }`;
    for (let run = 0; run < 3; run++) expect((await graphql(platform.api.url, deep)).errors?.[0]?.message).toMatch(/costs more than/);
  });
});
