import { graphql, graphqlData, startTestPlatform, type TestPlatform } from '@bulkhead/api/testing';
import { builtinPluginPackages, registryOf } from '@bulkhead/builtin-plugins';
import { ResultWriter } from '@bulkhead/persistence';
import type { PackageResult } from '@bulkhead/plugin-sdk';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

/*
 * Re-matching without re-reading images, end to end: the real API (the scanner's api entry:
 * importAdvisories, the advisory store's migrations) and the real worker in this process, on
 * real Postgres and Redis. Inventories of two teams are stored as a scan would store them; each
 * import of an advisory file re-matches every team's images as that team's own tasks, new
 * matches are OPEN, matches an update withdrew are RESOLVED, returning ones are reopened, and
 * subscribers of findingChanged hear each change.
 */

const ADVISORY_A = 'CVE-2099-0001';
const ADVISORY_B = 'CVE-2099-0002';

/** An OSV record of Debian 12's openssl, fixed in `fixed`; withdrawn when asked. */
function osvRecord(id: string, fixed: string, withdrawn = false): Record<string, unknown> {
  return {
    schema_version: '1.6.0',
    id: `DEBIAN-${id}`,
    aliases: [id],
    modified: '2099-01-01T00:00:00Z',
    ...(withdrawn ? { withdrawn: '2099-01-02T00:00:00Z' } : {}),
    summary: `${id} in openssl`,
    affected: [{ package: { ecosystem: 'Debian:12', name: 'openssl' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed }] }], database_specific: { urgency: 'high' } }],
  };
}

const openssl: PackageResult = {
  type: 'deb',
  name: 'libssl3',
  version: '3.0.11-1~deb12u2',
  sourceName: 'openssl',
  sourceVersion: '3.0.11-1~deb12u2',
  purl: 'pkg:deb/debian/libssl3@3.0.11-1~deb12u2?distro=debian-12',
  layer: 'sha256:1111',
  path: 'var/lib/dpkg/status',
};

interface FindingNode {
  ruleId: string;
  status: string;
  target: string;
  reopened: boolean;
}

describe('re-matching stored inventories after an advisory import (API + worker)', () => {
  let platform: TestPlatform;
  let work: string;
  let file: string;
  let redToken: string;
  const image = `sha256:${'a'.repeat(64)}`;

  beforeAll(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'bulkhead-rematch-'));
    file = path.join(work, 'debian-12.jsonl');
    const packages = builtinPluginPackages();
    platform = await startTestPlatform({ label: 'vuln_rematch', registry: registryOf(packages), plugins: packages, kinds: ['scanner'] });
    // Two teams scanned the same image: stored as a scan stores it (no image is read again below).
    for (const team of ['default', 'red']) {
      const writer = new ResultWriter(platform.db.dataSource, null, undefined, { team });
      await writer.artifact({ digest: image, references: ['oci:/img'], size: 1, layers: [], os: { family: 'debian', version: '12', name: 'Debian GNU/Linux 12 (bookworm)' } });
      await writer.packages(image, [openssl, { type: 'deb', name: 'bash', version: '5.2.15-2+b2', purl: 'pkg:deb/debian/bash@5.2.15-2+b2?distro=debian-12' }]);
    }
    redToken = (await platform.createToken('viewer', 'red')).secret;
  }, 120_000);

  afterAll(async () => {
    await platform?.stop();
    await rm(work, { recursive: true, force: true });
  });

  const findings = async (token?: string): Promise<FindingNode[]> =>
    (
      await graphqlData<{ findings: { edges: { node: FindingNode }[] } }>(
        platform.api.url,
        '{ findings(filter: { kind: SCANNER }, first: 50) { edges { node { ruleId status target reopened } } } }',
        {},
        token ? { token } : {},
      )
    ).findings.edges
      .map((e) => e.node)
      .sort((a, b) => a.ruleId.localeCompare(b.ruleId));

  /** Imports the advisory file and waits until every task it led to has finished. */
  async function importAndSettle(records: Record<string, unknown>[]): Promise<void> {
    // The same file each time: its records replace the ones it held before (one source per file).
    await writeFile(file, records.map((r) => JSON.stringify(r)).join('\n') + '\n');
    const { importAdvisories } = await graphqlData<{ importAdvisories: { id: string } }>(platform.api.url, 'mutation($p: [String!]!) { importAdvisories(paths: $p) { id } }', { p: [file] });
    const deadline = Date.now() + 60_000;
    for (;;) {
      const rows: { status: string; n: string }[] = await platform.db.dataSource.query(`SELECT status, count(*) AS n FROM task GROUP BY status`);
      const unfinished = rows.filter((r) => r.status === 'QUEUED' || r.status === 'RUNNING');
      const failed = rows.find((r) => r.status === 'FAILED');
      if (failed) throw new Error(`a task failed: ${JSON.stringify(await platform.db.dataSource.query(`SELECT type, input, error FROM task WHERE status = 'FAILED'`))}`);
      const imported = await platform.db.dataSource.query(`SELECT status FROM task WHERE id = $1`, [importAdvisories.id]);
      if (unfinished.length === 0 && imported[0]?.status === 'SUCCEEDED') return;
      if (Date.now() > deadline) throw new Error(`tasks still unfinished: ${JSON.stringify(rows)}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  it('new matches are OPEN in every team, withdrawn ones RESOLVED, returning ones reopened; findingChanged announces each', async () => {
    const heard: FindingNode[] = [];
    const unsubscribe = platform.ws.subscribe<{ findingChanged: FindingNode }>(
      { query: 'subscription { findingChanged(filter: { kind: SCANNER }) { ruleId status target reopened } }' },
      { next: (result) => void (result.data ? heard.push(result.data.findingChanged) : undefined), error: () => undefined, complete: () => undefined },
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    try {
      await importAndSettle([osvRecord(ADVISORY_A, '3.0.13-1~deb12u1'), osvRecord(ADVISORY_B, '3.0.15-1~deb12u1')]);
      expect(await findings()).toEqual([
        { ruleId: ADVISORY_A, status: 'OPEN', target: image, reopened: false },
        { ruleId: ADVISORY_B, status: 'OPEN', target: image, reopened: false },
      ]);
      // The other team's copy of the image was re-matched by a task of that team.
      expect((await findings(redToken)).map((f) => `${f.ruleId} ${f.status}`)).toEqual([`${ADVISORY_A} OPEN`, `${ADVISORY_B} OPEN`]);
      const teams: { team: string; n: string }[] = await platform.db.dataSource.query(
        `SELECT team, count(*) AS n FROM task WHERE type = 'rematch-vulnerabilities' AND input ? 'imageIds' GROUP BY team ORDER BY team`,
      );
      expect(teams.map((t) => t.team)).toEqual(['default', 'red']);

      // The update withdraws A: the re-match resolves it and keeps B.
      await importAndSettle([osvRecord(ADVISORY_A, '3.0.13-1~deb12u1', true), osvRecord(ADVISORY_B, '3.0.15-1~deb12u1')]);
      expect((await findings()).map((f) => `${f.ruleId} ${f.status}`)).toEqual([`${ADVISORY_A} RESOLVED`, `${ADVISORY_B} OPEN`]);

      // It comes back: OPEN again, reopened.
      await importAndSettle([osvRecord(ADVISORY_A, '3.0.13-1~deb12u1'), osvRecord(ADVISORY_B, '3.0.15-1~deb12u1')]);
      expect((await findings()).find((f) => f.ruleId === ADVISORY_A)).toMatchObject({ status: 'OPEN', reopened: true });

      await new Promise((resolve) => setTimeout(resolve, 500));
      // Subscribers hear their own team's changes only: new, resolved, reopened.
      expect(heard.map((f) => `${f.ruleId} ${f.status}${f.reopened ? ' reopened' : ''}`)).toEqual([
        `${ADVISORY_A} OPEN`,
        `${ADVISORY_B} OPEN`,
        `${ADVISORY_A} RESOLVED`,
        `${ADVISORY_A} OPEN reopened`,
      ]);
    } finally {
      unsubscribe();
    }
  }, 180_000);

  it('refuses a viewer, and a path that cannot be read before anything is queued', async () => {
    const viewer = (await platform.createToken('viewer')).secret;
    const forbidden = await graphql(platform.api.url, 'mutation { importAdvisories(paths: ["/etc/passwd"]) { id } }', {}, { token: viewer });
    expect(forbidden.errors?.[0]?.extensions?.['code']).toBe('FORBIDDEN');
    const before = await platform.db.dataSource.query(`SELECT count(*)::int AS n FROM task`);
    const missing = await graphql(platform.api.url, 'mutation($p: [String!]!) { importAdvisories(paths: $p) { id } }', { p: [path.join(work, 'absent.zip')] });
    expect(missing.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
    expect(missing.errors?.[0]?.message).toMatch(/paths.0: .*absent.zip" does not exist or cannot be read/);
    expect(await platform.db.dataSource.query(`SELECT count(*)::int AS n FROM task`)).toEqual(before);
  });
});
