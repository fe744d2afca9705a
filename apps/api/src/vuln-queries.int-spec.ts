import { graphql, graphqlData, startTestPlatform, type TestPlatform } from '@bulkhead/api/testing';
import { builtinPluginPackages, registryOf } from '@bulkhead/builtin-plugins';
import { DataSourcePluginDatabase, ResultWriter } from '@bulkhead/persistence';
import type { FindingResult, PackageResult, Severity } from '@bulkhead/plugin-sdk';
import { compileFindingGroupQuery, compileFindingPageQuery, type FindingFilter } from '@bulkhead/plugin-sdk/api';
import { PostgresAdvisoryStore, type Advisory } from '@bulkhead/vulndb';

/*
 * The scanner's vulnerability queries on the real API (the scanner's api entry loaded as the
 * server loads it) over real Postgres: vulnerabilities are stored as scans store them (core
 * findings of kind scanner, data.findingType vulnerability) for two teams, and read back with
 * every filter, page by page, counted per image and per package, by advisory (id or alias) and
 * as "which images hold CVE-X"; team B sees none of team A's, a viewer reads, no token is
 * UNAUTHENTICATED, and the planner can use the partial indexes of the queries.
 */

const IMAGE_A = `sha256:${'a'.repeat(64)}`;
const IMAGE_B = `sha256:${'b'.repeat(64)}`;
const IMAGE_RED = `sha256:${'c'.repeat(64)}`;
const GHSA = 'GHSA-aaaa-bbbb-cccc';

const libssl: PackageResult = {
  type: 'deb',
  name: 'libssl3',
  version: '3.0.11-1~deb12u2',
  sourceName: 'openssl',
  purl: 'pkg:deb/debian/libssl3@3.0.11-1~deb12u2?distro=debian-12',
  layer: 'sha256:1111',
  path: 'var/lib/dpkg/status',
};
const bash: PackageResult = { type: 'deb', name: 'bash', version: '5.2.15-2+b2', purl: 'pkg:deb/debian/bash@5.2.15-2+b2?distro=debian-12', path: 'var/lib/dpkg/status' };
const lodash: PackageResult = { type: 'npm', name: 'lodash', version: '4.17.20', purl: 'pkg:npm/lodash@4.17.20', path: 'app/package-lock.json' };

/** A vulnerability finding in the shape the scanner stores (plugins/scanner/src/findings/finding-data.ts). */
function vulnerability(target: string, pkg: PackageResult, id: string, severity: Severity, fixedVersion?: string, status = fixedVersion ? 'fixed' : 'affected', aliases: string[] = []): FindingResult {
  return {
    kind: 'scanner',
    severity,
    ruleId: id,
    title: `${id} in ${pkg.name}`,
    target,
    location: `${pkg.purl} (${pkg.path})`,
    data: {
      findingType: 'vulnerability',
      aliases,
      package: { type: pkg.type, name: pkg.name, version: pkg.version, purl: pkg.purl, path: pkg.path },
      installedVersion: pkg.version,
      ...(fixedVersion ? { fixedVersion } : {}),
      status,
      severitySource: 'debian',
      evidence: { source: 'osv', range: '<' + (fixedVersion ?? '*') },
      layer: 'sha256:1111',
    },
  };
}

const ghsaRecord: Advisory = {
  id: GHSA,
  source: 'osv:test',
  aliases: ['CVE-2099-0003'],
  summary: 'Prototype pollution in lodash',
  severity: 'MEDIUM',
  cvss: [{ type: 'CVSS_V3', vector: 'CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:H/A:N', score: 5.9 }],
  references: ['https://example.test/advisory'],
  affected: [{ ecosystem: 'npm', name: 'lodash', ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '4.17.21' }] }], versions: [] }],
};

async function* records(list: readonly Advisory[]): AsyncIterable<Advisory> {
  yield* list;
}

interface VulnNode {
  advisoryId: string;
  severity: string;
  status: string;
  fixAvailable: boolean;
  fixedVersion: string | null;
  advisoryStatus: string;
  image: string;
  package: { name: string; purl: string; path: string | null };
}
interface Connection<T> {
  totalCount: number;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  edges: { cursor: string; node: T }[];
}
type Counts = Record<'critical' | 'high' | 'medium' | 'low' | 'unknown' | 'total' | 'fixable', number>;

const VULN_FIELDS = 'advisoryId severity status fixAvailable fixedVersion advisoryStatus image package { name purl path }';

describe('vulnerability queries (API)', () => {
  let platform: TestPlatform;
  let redViewer: string;
  let viewer: string;

  beforeAll(async () => {
    const packages = builtinPluginPackages();
    platform = await startTestPlatform({ label: 'vuln_queries', registry: registryOf(packages), plugins: packages, kinds: ['scanner'] });
    const ds = platform.db.dataSource;
    const main = new ResultWriter(ds, null, undefined, { team: 'default' });
    for (const [image, pkgs] of [
      [IMAGE_A, [libssl, bash, lodash]],
      [IMAGE_B, [lodash]],
    ] as const) {
      await main.artifact({ digest: image, references: [`oci:/img-${image.slice(7, 9)}`], size: 1, layers: [], os: { family: 'debian', version: '12' } });
      await main.packages(image, pkgs);
    }
    await main.findings([
      vulnerability(IMAGE_A, libssl, 'CVE-2099-0001', 'CRITICAL', '3.0.13-1~deb12u1'),
      vulnerability(IMAGE_A, libssl, 'CVE-2099-0002', 'HIGH'),
      vulnerability(IMAGE_A, lodash, 'CVE-2099-0003', 'MEDIUM', '4.17.21', 'fixed', [GHSA]),
      vulnerability(IMAGE_A, bash, 'CVE-2099-0004', 'LOW', undefined, 'will_not_fix'),
      vulnerability(IMAGE_A, bash, 'CVE-2099-0005', 'HIGH'),
      vulnerability(IMAGE_B, lodash, 'CVE-2099-0003', 'MEDIUM', '4.17.21', 'fixed', [GHSA]),
      // A secret is a scanner finding too: never a vulnerability.
      { kind: 'scanner', severity: 'CRITICAL', ruleId: 'aws-access-key-id', title: 'AWS key', target: IMAGE_A, location: 'app/.env:1', data: { findingType: 'secret', category: 'AWS', match: 'AKIA****', path: 'app/.env', line: 1 } },
    ]);
    await ds.query(`UPDATE finding SET status = 'RESOLVED', resolved_at = now() WHERE rule_id = 'CVE-2099-0005'`);
    const red = new ResultWriter(ds, null, undefined, { team: 'red' });
    for (const image of [IMAGE_A, IMAGE_RED]) {
      await red.artifact({ digest: image, references: ['oci:/red'], size: 1, layers: [], os: { family: 'debian', version: '12' } });
      await red.packages(image, [libssl, lodash]);
    }
    await red.findings([vulnerability(IMAGE_A, libssl, 'CVE-2099-0001', 'CRITICAL', '3.0.13-1~deb12u1'), vulnerability(IMAGE_RED, lodash, 'CVE-2099-0003', 'MEDIUM', '4.17.21', 'fixed', [GHSA])]);
    await new PostgresAdvisoryStore(new DataSourcePluginDatabase(ds)).import('osv:test', records([ghsaRecord]));
    redViewer = (await platform.createToken('viewer', 'red')).secret;
    viewer = (await platform.createToken('viewer')).secret;
  }, 120_000);

  afterAll(async () => {
    await platform?.stop();
  });

  const imageVulns = async (args: string, token?: string, digest = IMAGE_A): Promise<Connection<VulnNode>> =>
    (
      await graphqlData<{ image: { vulnerabilities: Connection<VulnNode> } }>(
        platform.api.url,
        `query($d: String!) { image(digest: $d) { vulnerabilities${args ? `(${args})` : ''} { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { ${VULN_FIELDS} } } } } }`,
        { d: digest },
        token === undefined ? {} : { token },
      )
    ).image.vulnerabilities;
  const ids = (connection: Connection<VulnNode>): string[] => connection.edges.map((edge) => edge.node.advisoryId).sort();

  it("lists an image's vulnerabilities (not its secrets) with their package, versions and statuses", async () => {
    const all = await imageVulns('first: 50');
    expect(all.totalCount).toBe(5);
    expect(ids(all)).toEqual(['CVE-2099-0001', 'CVE-2099-0002', 'CVE-2099-0003', 'CVE-2099-0004', 'CVE-2099-0005']);
    const critical = all.edges.find((edge) => edge.node.advisoryId === 'CVE-2099-0001')?.node;
    expect(critical).toEqual({
      advisoryId: 'CVE-2099-0001',
      severity: 'CRITICAL',
      status: 'OPEN',
      fixAvailable: true,
      fixedVersion: '3.0.13-1~deb12u1',
      advisoryStatus: 'fixed',
      image: IMAGE_A,
      package: { name: 'libssl3', purl: libssl.purl, path: 'var/lib/dpkg/status' },
    });
  });

  it('filters by severity, lifecycle status, fix availability, advisory (id or alias) and package (name or purl)', async () => {
    expect(ids(await imageVulns('severity: [CRITICAL]'))).toEqual(['CVE-2099-0001']);
    expect(ids(await imageVulns('severity: [HIGH, LOW]'))).toEqual(['CVE-2099-0002', 'CVE-2099-0004', 'CVE-2099-0005']);
    expect(ids(await imageVulns('status: [OPEN]'))).toEqual(['CVE-2099-0001', 'CVE-2099-0002', 'CVE-2099-0003', 'CVE-2099-0004']);
    expect(ids(await imageVulns('status: [RESOLVED]'))).toEqual(['CVE-2099-0005']);
    expect(ids(await imageVulns('fixAvailable: true'))).toEqual(['CVE-2099-0001', 'CVE-2099-0003']);
    expect(ids(await imageVulns('fixAvailable: false'))).toEqual(['CVE-2099-0002', 'CVE-2099-0004', 'CVE-2099-0005']);
    expect(ids(await imageVulns(`advisoryId: "${GHSA}"`))).toEqual(['CVE-2099-0003']);
    expect(ids(await imageVulns('advisoryId: "CVE-2099-0002"'))).toEqual(['CVE-2099-0002']);
    expect(ids(await imageVulns('advisoryId: "CVE-1999-9999"'))).toEqual([]);
    expect(ids(await imageVulns('package: "bash"'))).toEqual(['CVE-2099-0004', 'CVE-2099-0005']);
    expect(ids(await imageVulns(`package: "${lodash.purl}"`))).toEqual(['CVE-2099-0003']);
    expect(ids(await imageVulns('package: "bash", status: [OPEN], fixAvailable: false, severity: [LOW]'))).toEqual(['CVE-2099-0004']);
  });

  it('pages with first/after: every vulnerability once, in order, with hasNextPage', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 5; page++) {
      const connection = await imageVulns(`first: 2${after ? `, after: "${after}"` : ''}`);
      expect(connection.totalCount).toBe(5);
      seen.push(...connection.edges.map((edge) => edge.node.advisoryId));
      if (!connection.pageInfo.hasNextPage) break;
      after = connection.pageInfo.endCursor;
    }
    expect(seen).toHaveLength(5);
    expect([...seen].sort()).toEqual(['CVE-2099-0001', 'CVE-2099-0002', 'CVE-2099-0003', 'CVE-2099-0004', 'CVE-2099-0005']);
  });

  it('counts by severity per image (OPEN by default, or the statuses asked for) and per package', async () => {
    const data = await graphqlData<{ a: { vulnerabilityCounts: Counts; all: Counts; packages: { edges: { node: { name: string; vulnerabilityCounts: Counts; vulnerabilities: Connection<VulnNode> } }[] } }; b: { vulnerabilityCounts: Counts } }>(
      platform.api.url,
      `query($a: String!, $b: String!) {
        a: image(digest: $a) {
          vulnerabilityCounts { critical high medium low unknown total fixable }
          all: vulnerabilityCounts(status: [OPEN, RESOLVED, SUPPRESSED]) { critical high medium low unknown total fixable }
          packages(first: 10) { edges { node { name
            vulnerabilityCounts { critical high medium low unknown total fixable }
            vulnerabilities(first: 10) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { ${VULN_FIELDS} } } } } } }
        }
        b: image(digest: $b) { vulnerabilityCounts { critical high medium low unknown total fixable } }
      }`,
      { a: IMAGE_A, b: IMAGE_B },
    );
    expect(data.a.vulnerabilityCounts).toEqual({ critical: 1, high: 1, medium: 1, low: 1, unknown: 0, total: 4, fixable: 2 });
    expect(data.a.all).toEqual({ critical: 1, high: 2, medium: 1, low: 1, unknown: 0, total: 5, fixable: 2 });
    expect(data.b.vulnerabilityCounts).toEqual({ critical: 0, high: 0, medium: 1, low: 0, unknown: 0, total: 1, fixable: 1 });
    const byName = new Map(data.a.packages.edges.map((edge) => [edge.node.name, edge.node]));
    expect(byName.get('libssl3')?.vulnerabilityCounts).toEqual({ critical: 1, high: 1, medium: 0, low: 0, unknown: 0, total: 2, fixable: 1 });
    expect(byName.get('bash')?.vulnerabilityCounts).toEqual({ critical: 0, high: 0, medium: 0, low: 1, unknown: 0, total: 1, fixable: 0 });
    expect(ids(byName.get('bash')?.vulnerabilities as Connection<VulnNode>)).toEqual(['CVE-2099-0004', 'CVE-2099-0005']);
    expect(ids(byName.get('lodash')?.vulnerabilities as Connection<VulnNode>)).toEqual(['CVE-2099-0003']);
  });

  it('asks the counts of a page of images, and of a page of packages, once (batched per request)', async () => {
    const service = (await import('@bulkhead/plugin-scanner/api')).VulnerabilityService;
    const images = jest.spyOn(service.prototype, 'imageCounts');
    const packages = jest.spyOn(service.prototype, 'packageCounts');
    try {
      const data = await graphqlData<{ imagesWithVulnerability: { edges: { node: { digest: string; vulnerabilityCounts: Counts } }[] }; image: { packages: { edges: { node: { name: string; vulnerabilityCounts: Counts } }[] } } }>(
        platform.api.url,
        `query($a: String!) {
          imagesWithVulnerability(id: "${GHSA}") { edges { node { digest vulnerabilityCounts { total medium fixable } } } }
          image(digest: $a) { packages { edges { node { name vulnerabilityCounts { total } } } } } }`,
        { a: IMAGE_A },
      );
      expect(data.imagesWithVulnerability.edges.map((edge) => [edge.node.digest, edge.node.vulnerabilityCounts])).toEqual([
        [IMAGE_A, { total: 4, medium: 1, fixable: 2 }],
        [IMAGE_B, { total: 1, medium: 1, fixable: 1 }],
      ]);
      expect(data.image.packages.edges).toHaveLength(3);
      expect(images).toHaveBeenCalledTimes(1);
      expect(images.mock.calls[0]?.[0]).toEqual([IMAGE_A, IMAGE_B]);
      expect(packages).toHaveBeenCalledTimes(1);
      expect(packages.mock.calls[0]?.[0]).toHaveLength(3);
    } finally {
      images.mockRestore();
      packages.mockRestore();
    }
  });

  it('looks an advisory up by id or alias, with the images of the team it affects', async () => {
    for (const id of [GHSA, 'CVE-2099-0003']) {
      const { advisory } = await graphqlData<{ advisory: { id: string; aliases: string[]; severity: string; summary: string; cvss: { score: number }[]; records: { id: string; affected: { name: string; ranges: { events: { introduced: string | null; fixed: string | null }[] }[] }[] }[]; images: Connection<{ digest: string; findingCount: number; vulnerabilities: Connection<VulnNode> }> } }>(
        platform.api.url,
        `query($id: String!) { advisory(id: $id) { id aliases severity summary cvss { score } records { id affected { name ranges { events { introduced fixed } } } }
          images(first: 10) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { digest findingCount vulnerabilities { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { ${VULN_FIELDS} } } } } } } } }`,
        { id },
      );
      expect(advisory).toMatchObject({ id, severity: 'MEDIUM', summary: 'Prototype pollution in lodash', cvss: [{ score: 5.9 }] });
      expect(advisory.aliases).toContain(id === GHSA ? 'CVE-2099-0003' : GHSA);
      expect(advisory.records[0]?.affected[0]).toEqual({ name: 'lodash', ranges: [{ events: [{ introduced: '0', fixed: null }, { introduced: null, fixed: '4.17.21' }] }] });
      expect(advisory.images.totalCount).toBe(2);
      expect(advisory.images.edges.map((edge) => [edge.node.digest, edge.node.findingCount])).toEqual([
        [IMAGE_A, 1],
        [IMAGE_B, 1],
      ]);
      expect(advisory.images.edges[0]?.node.vulnerabilities.edges[0]?.node.package.name).toBe('lodash');
    }
    expect((await graphqlData<{ advisory: null }>(platform.api.url, '{ advisory(id: "CVE-1999-0000") { id } }')).advisory).toBeNull();
  });

  it('answers which images hold CVE-X (by id or alias), page by page', async () => {
    const page = async (id: string, after?: string) =>
      (
        await graphqlData<{ imagesWithVulnerability: Connection<{ digest: string; findingCount: number }> }>(
          platform.api.url,
          'query($id: String!, $after: String) { imagesWithVulnerability(id: $id, first: 1, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { digest findingCount } } } }',
          { id, after: after ?? null },
        )
      ).imagesWithVulnerability;
    const first = await page(GHSA);
    expect(first).toMatchObject({ totalCount: 2, pageInfo: { hasNextPage: true } });
    expect(first.edges.map((edge) => edge.node.digest)).toEqual([IMAGE_A]);
    const second = await page(GHSA, first.pageInfo.endCursor ?? undefined);
    expect(second.edges.map((edge) => edge.node.digest)).toEqual([IMAGE_B]);
    expect(second.pageInfo.hasNextPage).toBe(false);
    // Not in the advisory database: found by the id the findings carry.
    expect((await page('CVE-2099-0002')).edges.map((edge) => edge.node.digest)).toEqual([IMAGE_A]);
    expect((await page('CVE-2099-0001')).totalCount).toBe(1);
  });

  it("keeps teams apart: team red sees only its own images' vulnerabilities, counts and advisories' images", async () => {
    const red = await imageVulns('first: 50', redViewer);
    expect(ids(red)).toEqual(['CVE-2099-0001']);
    const data = await graphqlData<{ a: { vulnerabilityCounts: Counts }; b: null; which: Connection<{ digest: string }>; advisory: { images: Connection<{ digest: string }> } }>(
      platform.api.url,
      `query($a: String!, $b: String!) { a: image(digest: $a) { vulnerabilityCounts { total critical } } b: image(digest: $b) { digest }
        which: imagesWithVulnerability(id: "${GHSA}") { totalCount edges { node { digest } } }
        advisory(id: "${GHSA}") { images { totalCount edges { node { digest } } } } }`,
      { a: IMAGE_A, b: IMAGE_B },
      { token: redViewer },
    );
    expect(data.a.vulnerabilityCounts).toMatchObject({ total: 1, critical: 1 });
    expect(data.b).toBeNull();
    expect(data.which.edges.map((edge) => edge.node.digest)).toEqual([IMAGE_RED]);
    expect(data.advisory.images.edges.map((edge) => edge.node.digest)).toEqual([IMAGE_RED]);
  });

  it('a viewer reads; no token is UNAUTHENTICATED; hostile arguments are refused', async () => {
    expect((await imageVulns('severity: [CRITICAL]', viewer)).totalCount).toBe(1);
    for (const query of [`{ imagesWithVulnerability(id: "${GHSA}") { totalCount } }`, `{ advisory(id: "${GHSA}") { id } }`, `{ image(digest: "${IMAGE_A}") { vulnerabilities { totalCount } } }`]) {
      const anonymous = await graphql(platform.api.url, query, {}, { token: null });
      expect(anonymous.errors?.[0]?.extensions?.['code']).toBe('UNAUTHENTICATED');
      expect(anonymous.data ?? null).toBeNull();
    }
    const huge = await graphql(platform.api.url, `{ image(digest: "${IMAGE_A}") { vulnerabilities(first: 1000000) { totalCount } } }`);
    expect(huge.errors?.[0]?.message).toMatch(/first must be at most/);
    const nul = await graphql(platform.api.url, 'query($id: String!) { imagesWithVulnerability(id: $id) { totalCount } }', { id: 'CVE\u0000x' });
    expect(nul.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
    const badCursor = await graphql(platform.api.url, '{ imagesWithVulnerability(id: "CVE-2099-0001", after: "not-a-cursor") { totalCount } }');
    expect(badCursor.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
    // The same on a field a plugin adds to a core type (the domain error filter covers field resolvers too).
    const badFieldCursor = await graphql(platform.api.url, `{ image(digest: "${IMAGE_A}") { vulnerabilities(after: "not-a-cursor") { totalCount } } }`);
    expect(badFieldCursor.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
  });

  it('the page, count and which-images statements use the partial indexes (EXPLAIN over 15,000 vulnerabilities)', async () => {
    const ds = platform.db.dataSource;
    // Another team's 15,000 vulnerabilities over 30 images and 3,000 advisories, plus as many
    // secrets, so the planner's choice is the one it makes at scale (not a tiny table's).
    await ds.query(
      `INSERT INTO finding (team, kind, severity, rule_id, title, target, location, data, fingerprint, status, producer, scope)
       SELECT 'bulk', 'scanner', (ARRAY['CRITICAL','HIGH','MEDIUM','LOW','UNKNOWN'])[1 + (i / 30) % 5], 'CVE-2098-' || ((i * 31) % 3000), 't',
              'sha256:' || md5((i % 30)::text) || md5((i % 30)::text), 'pkg:npm/p' || i,
              CASE WHEN (i / 7) % 2 = 0 THEN jsonb_build_object('findingType', 'vulnerability', 'status', 'fixed') ELSE jsonb_build_object('findingType', 'secret') END,
              md5(i::text), 'OPEN', 'scanner/vulnerability', 'x'
         FROM generate_series(1, 30000) AS i`,
    );
    await ds.query('ANALYZE finding');
    const [{ target }] = (await ds.query(`SELECT target FROM finding WHERE team = 'bulk' AND data->>'findingType' = 'vulnerability' LIMIT 1`)) as { target: string }[];
    const vulnerabilities: FindingFilter = { kinds: ['scanner'], targets: [target], data: [{ path: ['findingType'], equals: 'vulnerability' }] };
    const statements = [
      [compileFindingPageQuery('finding', { ...vulnerabilities, severities: ['CRITICAL'] }, { limit: 51, team: 'bulk' }), 'IDX_finding_vuln_team_target_severity'],
      [compileFindingPageQuery('finding', vulnerabilities, { limit: 51, team: 'bulk' }), 'IDX_finding_vuln_team_target_last_seen'],
      [compileFindingGroupQuery('finding', { kinds: ['scanner'], ruleIds: ['CVE-2098-10'], data: vulnerabilities.data }, { groupBy: ['target'], limit: 51, team: 'bulk' }), 'IDX_finding_vuln_team_rule_target'],
    ] as const;
    for (const [statement, index] of statements) {
      const rows: { 'QUERY PLAN': string }[] = await ds.query(`EXPLAIN ${statement.sql}`, statement.params);
      expect(rows.map((row) => row['QUERY PLAN']).join('\n')).toMatch(new RegExp(`(Index|Index Only|Bitmap Index) Scan (Backward )?(using|on) "${index}"`));
    }
  });
});
