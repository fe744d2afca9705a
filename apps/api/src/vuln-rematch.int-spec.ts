import { graphql, graphqlData, startTestPlatform, type TestPlatform } from '@bulkhead/api/testing';
import { builtinPluginPackages, registryOf } from '@bulkhead/builtin-plugins';
import { ResultWriter } from '@bulkhead/persistence';
import type { PackageResult } from '@bulkhead/plugin-sdk';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
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
  // An advisory feed (one OSV record) served as a mirror serves it: ETag and 304.
  let feedServer: Server;
  let feedUrl: string;
  const feedRequests: (string | undefined)[] = [];
  const feedBody = JSON.stringify(osvRecord('CVE-2099-0003', '3.0.16-1~deb12u1'));
  const feedsBefore = process.env['BULKHEAD_ADVISORY_FEEDS'];

  beforeAll(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'bulkhead-rematch-'));
    file = path.join(work, 'debian-12.jsonl');
    feedServer = createServer((req, res) => {
      // The checksum sidecar a mirror publishes beside the file (verified before the import).
      if (req.url?.endsWith('.sha256')) return void res.writeHead(200).end(`${createHash('sha256').update(feedBody).digest('hex')}  CVE-2099-0003.json\n`);
      feedRequests.push(req.headers['if-none-match']);
      if (req.headers['if-none-match'] === '"v1"') return void res.writeHead(304).end();
      res.writeHead(200, { etag: '"v1"', 'content-type': 'application/json', 'content-length': Buffer.byteLength(feedBody) }).end(feedBody);
    });
    await new Promise<void>((resolve) => feedServer.listen(0, '127.0.0.1', resolve));
    feedUrl = `http://127.0.0.1:${(feedServer.address() as AddressInfo).port}/debian-12/CVE-2099-0003.json`;
    // The API reads its configuration from `env`, the worker (in this process) from process.env.
    process.env['BULKHEAD_ADVISORY_FEEDS'] = feedUrl;
    const packages = builtinPluginPackages();
    platform = await startTestPlatform({ label: 'vuln_rematch', registry: registryOf(packages), plugins: packages, kinds: ['scanner'], env: { BULKHEAD_ADVISORY_FEEDS: feedUrl } });
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
    await new Promise((resolve) => feedServer?.close(resolve));
    if (feedsBefore === undefined) delete process.env['BULKHEAD_ADVISORY_FEEDS'];
    else process.env['BULKHEAD_ADVISORY_FEEDS'] = feedsBefore;
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
    await settle(importAdvisories.id);
  }

  /** Waits until the task and every task it led to have finished; returns its result. */
  async function settle(taskId: string): Promise<unknown> {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const rows: { status: string; n: string }[] = await platform.db.dataSource.query(`SELECT status, count(*) AS n FROM task GROUP BY status`);
      const unfinished = rows.filter((r) => r.status === 'QUEUED' || r.status === 'RUNNING');
      const failed = rows.find((r) => r.status === 'FAILED');
      if (failed) throw new Error(`a task failed: ${JSON.stringify(await platform.db.dataSource.query(`SELECT type, input, error FROM task WHERE status = 'FAILED'`))}`);
      const [task] = await platform.db.dataSource.query(`SELECT status, result FROM task WHERE id = $1`, [taskId]);
      if (unfinished.length === 0 && task?.status === 'SUCCEEDED') return task.result;
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

  it('updateAdvisories fetches the allowed feed (then 304: nothing re-matched), refuses other URLs and non-admins', async () => {
    const update = async (): Promise<{ feeds: { status: string }[]; rematch: { teams: number } | null }> => {
      const { updateAdvisories } = await graphqlData<{ updateAdvisories: { id: string } }>(platform.api.url, 'mutation { updateAdvisories { id } }');
      return (await settle(updateAdvisories.id)) as { feeds: { status: string }[]; rematch: { teams: number } | null };
    };
    const first = await update();
    expect(first.feeds).toEqual([{ url: feedUrl, status: 'downloaded' }]);
    expect(first.rematch?.teams).toBe(2);
    expect((await findings()).find((f) => f.ruleId === 'CVE-2099-0003')).toMatchObject({ status: 'OPEN', target: image });
    const second = await update();
    expect(second).toMatchObject({ feeds: [{ url: feedUrl, status: 'not-modified' }], rematch: null });
    expect(feedRequests).toEqual([undefined, '"v1"']);

    const ssrf = await graphql(platform.api.url, 'mutation { updateAdvisories(feeds: ["http://169.254.169.254/latest/meta-data/"]) { id } }');
    expect(ssrf.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
    expect(ssrf.errors?.[0]?.message).toMatch(/is not one of the feeds this server may fetch \(BULKHEAD_ADVISORY_FEEDS\)/);
    const file = await graphql(platform.api.url, 'mutation { updateAdvisories(feeds: ["file:///etc/shadow"]) { id } }');
    expect(file.errors?.[0]?.message).toMatch(/only http: and https: feeds/);
    const operator = (await platform.createToken('operator')).secret;
    const forbidden = await graphql(platform.api.url, 'mutation { updateAdvisories { id } }', {}, { token: operator });
    expect(forbidden.errors?.[0]?.extensions?.['code']).toBe('FORBIDDEN');
    // A task queued past the API (submitTask) with another URL is refused by the worker before any fetch.
    const { submitTask } = await graphqlData<{ submitTask: { id: string } }>(platform.api.url, 'mutation { submitTask(kind: SCANNER, type: "update-advisories", input: { feeds: ["http://127.0.0.1:9/x.zip"] }) { id } }');
    await expect(settle(submitTask.id)).rejects.toThrow(/is not one of the feeds this server may fetch/);
    await platform.db.dataSource.query(`DELETE FROM task WHERE id = $1`, [submitTask.id]);
  }, 120_000);

  it('an import re-matches only the images holding a package its changes name; an unchanged import re-matches nothing', async () => {
    // A third image of the default team without openssl.
    const bashOnly = `sha256:${'b'.repeat(64)}`;
    const writer = new ResultWriter(platform.db.dataSource, null, undefined, { team: 'default' });
    await writer.artifact({ digest: bashOnly, references: ['oci:/bash'], size: 1, layers: [], os: { family: 'debian', version: '12', name: 'Debian GNU/Linux 12 (bookworm)' } });
    await writer.packages(bashOnly, [{ type: 'deb', name: 'bash', version: '5.2.15-2+b2', purl: 'pkg:deb/debian/bash@5.2.15-2+b2?distro=debian-12' }]);
    const records = [osvRecord(ADVISORY_A, '3.0.13-1~deb12u1'), osvRecord(ADVISORY_B, '3.0.15-1~deb12u1')];
    const importFile = async (): Promise<{ id: string; result: { rematch: unknown; sources: { changedPackages?: number }[] } }> => {
      await writeFile(file, records.map((r) => JSON.stringify(r)).join('\n') + '\n');
      const { importAdvisories } = await graphqlData<{ importAdvisories: { id: string } }>(platform.api.url, 'mutation($p: [String!]!) { importAdvisories(paths: $p) { id } }', { p: [file] });
      return { id: importAdvisories.id, result: (await settle(importAdvisories.id)) as { rematch: unknown; sources: { changedPackages?: number }[] } };
    };
    // The same records as the file held last: nothing changed, nothing is re-matched.
    const same = await importFile();
    expect(same.result).toMatchObject({ rematch: null, sources: [{ changedPackages: 0 }] });

    // B's fix moves: openssl changed; the default team's plan queues the openssl image only.
    records[1] = osvRecord(ADVISORY_B, '3.0.11-1~deb12u2');
    const changed = await importFile();
    expect(changed.result).toMatchObject({ rematch: { teams: 2 }, sources: [{ changedPackages: 1 }] });
    const plans: { team: string; result: Record<string, unknown> }[] = await platform.db.dataSource.query(
      `SELECT team, result FROM task WHERE type = 'rematch-vulnerabilities' AND NOT (input ? 'imageIds') AND input->>'trigger' = $1 ORDER BY team`,
      [changed.id],
    );
    expect(plans.map((p) => [p.team, p.result])).toEqual([
      ['default', { planned: true, batches: 1, images: 1, mode: 'changed-packages', changedPackages: 1 }],
      ['red', { planned: true, batches: 1, images: 1, mode: 'changed-packages', changedPackages: 1 }],
    ]);
    const [batch]: { result: Record<string, unknown> }[] = await platform.db.dataSource.query(
      `SELECT result FROM task WHERE type = 'rematch-vulnerabilities' AND input ? 'imageIds' AND input->>'trigger' = $1 AND team = 'default'`,
      [changed.id],
    );
    // Only openssl's package was read and matched (against all of openssl's advisories: A and the
    // feed's CVE-2099-0003 still match; the installed version is now fixed for B).
    expect(batch?.result).toMatchObject({ images: 1, packages: 1, findings: 2, mode: 'changed-packages' });
    expect((await findings()).filter((f) => f.target === image).map((f) => `${f.ruleId} ${f.status}`)).toEqual([`${ADVISORY_A} OPEN`, `${ADVISORY_B} RESOLVED`, 'CVE-2099-0003 OPEN']);
  }, 120_000);

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
