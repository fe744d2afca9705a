import type { FindingReport, FindingResult, PackageResult } from '@bulkhead/plugin-sdk';
import { FindingStatus, FindingStore, PackageEntity, resolveUnreportedFindings, ResultWriter, StoreInventories, TaskStore, teamScope, type FindingEntity, type UpsertedFinding } from './index';
import { createTestDatabase, type TestDatabase } from './testing';

/*
 * Complete reports over a named (producer, scope) (SDK FindingReport) on real Postgres: the
 * vulnerabilities of an image are reported by its scan and again by every re-match, under one
 * producer and the image id as scope, so a re-match resolves what no longer matches and reopens
 * what matches again, and leaves the image's other findings (secrets) alone. Also: the package
 * path in the inventory's key, and the inventories a task reads back.
 */

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase('finding_report');
});

afterAll(async () => {
  await db?.drop();
});

const image = `sha256:${'a'.repeat(64)}`;
const other = `sha256:${'b'.repeat(64)}`;
const VULNS = (scope: string): FindingReport => ({ producer: 'scanner/vulnerability', scope });

const vuln = (target: string, id: string): FindingResult => ({ kind: 'scanner', severity: 'HIGH', ruleId: id, title: id, target, location: 'pkg:deb/debian/openssl@3.0.11', data: { findingType: 'vulnerability' } });
const secret = (target: string): FindingResult => ({ kind: 'scanner', severity: 'CRITICAL', ruleId: 'aws-access-key-id', title: 'AWS key', target, location: 'etc/app.env:3', data: { findingType: 'secret' } });

interface Run {
  taskId: string;
  reopened: UpsertedFinding[];
  resolved: string[];
}

/** One task of `type` that emits `calls` (findings with an optional report each), then succeeds or fails. */
async function run(type: string, input: unknown, calls: { findings: FindingResult[]; report?: FindingReport }[], options: { fail?: boolean; team?: string } = {}): Promise<Run> {
  const store = new TaskStore(db.dataSource, teamScope(options.team ?? 'default'));
  const task = await store.create({ kind: 'scanner', type, input });
  await store.markRunning(task.id);
  const reopened: UpsertedFinding[] = [];
  const writer = new ResultWriter(db.dataSource, task.id, undefined, { team: options.team ?? 'default', onReopenedFindings: async (rows) => void reopened.push(...rows) });
  for (const call of calls) await writer.findings(call.findings, call.report);
  if (options.fail) {
    await store.fail(task.id, 'boom');
    return { taskId: task.id, reopened, resolved: [] };
  }
  const done = await store.succeedResolving(task.id, {});
  return { taskId: task.id, reopened, resolved: (done?.resolved ?? []).map((f) => `${f.target.slice(7, 8)} ${f.ruleId}`) };
}

async function state(target: string, ruleId: string, team = 'default'): Promise<FindingEntity> {
  const found = (await new FindingStore(db.dataSource, teamScope(team)).list({ target }, { first: 500 })).edges.map((e) => e.node).find((f) => f.ruleId === ruleId);
  if (!found) throw new Error(`no finding ${ruleId} on ${target}`);
  return found;
}

describe('FindingReport: complete reports over a named producer and scope', () => {
  it('a re-match resolves what it no longer reports, reopens what comes back, and leaves the secrets alone', async () => {
    // The scan: vulnerabilities CVE-A and CVE-B under the report, a secret without one.
    const scan = await run('scan-image', { source: 'oci:/img' }, [{ findings: [vuln(image, 'CVE-A'), vuln(image, 'CVE-B')], report: VULNS(image) }, { findings: [secret(image)] }]);
    expect(await state(image, 'CVE-A')).toMatchObject({ status: FindingStatus.OPEN, producer: 'scanner/vulnerability', scope: image, taskId: scan.taskId });
    expect(await state(image, 'aws-access-key-id')).toMatchObject({ status: FindingStatus.OPEN, producer: 'scanner/scan-image' });

    // An advisory update withdrew CVE-A: the re-match (another task type and input) reports only CVE-B.
    const rematch = await run('rematch-vulnerabilities', { imageIds: ['x'] }, [{ findings: [vuln(image, 'CVE-B')], report: VULNS(image) }]);
    expect(rematch.resolved).toEqual(['a CVE-A']);
    expect(await state(image, 'CVE-A')).toMatchObject({ status: FindingStatus.RESOLVED });
    expect((await state(image, 'CVE-A')).resolvedAt).toBeInstanceOf(Date);
    // CVE-B was reported again unchanged: its row is left as the scan wrote it (no rewrite per re-match).
    const b = await state(image, 'CVE-B');
    expect(b).toMatchObject({ status: FindingStatus.OPEN, taskId: scan.taskId });
    const covered: { fingerprints: string[] }[] = await db.dataSource.query(`SELECT fingerprints FROM task_finding_scope WHERE task_id = $1`, [rematch.taskId]);
    expect(covered).toEqual([{ fingerprints: [b.fingerprint] }]);
    expect(await state(image, 'aws-access-key-id')).toMatchObject({ status: FindingStatus.OPEN });

    // The next update brings CVE-A back: reopened, same row, announced as reopened.
    const again = await run('rematch-vulnerabilities', { imageIds: ['x'], n: 2 }, [{ findings: [vuln(image, 'CVE-A'), { ...vuln(image, 'CVE-B'), severity: 'CRITICAL' }], report: VULNS(image) }]);
    const reopened = await state(image, 'CVE-A');
    expect(reopened).toMatchObject({ status: FindingStatus.OPEN, resolvedAt: null });
    expect(reopened.reopenedAt).toBeInstanceOf(Date);
    expect(again.reopened.map((f) => f.ruleId)).toEqual(['CVE-A']);
    expect(again.resolved).toEqual([]);
    // A changed finding (the advisory's severity moved) is rewritten, by this task.
    expect(await state(image, 'CVE-B')).toMatchObject({ status: FindingStatus.OPEN, severity: 'CRITICAL', taskId: again.taskId });
  });

  it('an empty report still covers its scope; other scopes, failed runs and other teams are untouched', async () => {
    await run('scan-image', { source: 'oci:/other' }, [{ findings: [vuln(other, 'CVE-C')], report: VULNS(other) }]);
    await run('scan-image', { source: 'oci:/other' }, [{ findings: [vuln(other, 'CVE-C')], report: VULNS(other) }], { team: 'red' });
    // A failed re-match that covered the image with nothing resolves nothing.
    await run('rematch-vulnerabilities', { imageIds: ['y'] }, [{ findings: [], report: VULNS(other) }], { fail: true });
    expect(await state(other, 'CVE-C')).toMatchObject({ status: FindingStatus.OPEN });
    // A successful one covering `image` only leaves `other` alone.
    await run('rematch-vulnerabilities', { imageIds: ['z'] }, [{ findings: [vuln(image, 'CVE-A'), vuln(image, 'CVE-B')], report: VULNS(image) }]);
    expect(await state(other, 'CVE-C')).toMatchObject({ status: FindingStatus.OPEN });
    // An empty report over `other` resolves everything of it, in this team only.
    const empty = await run('rematch-vulnerabilities', { imageIds: ['w'] }, [{ findings: [], report: VULNS(other) }]);
    expect(empty.resolved).toEqual(['b CVE-C']);
    expect(await state(other, 'CVE-C', 'red')).toMatchObject({ status: FindingStatus.OPEN });
  });

  it('reports(): many scopes in one call, each resolved on its own', async () => {
    const [x, y] = [`sha256:${'d'.repeat(64)}`, `sha256:${'e'.repeat(64)}`];
    const store = new TaskStore(db.dataSource);
    const first = await store.create({ kind: 'scanner', type: 'rematch-vulnerabilities', input: { batch: 1 } });
    await store.markRunning(first.id);
    await new ResultWriter(db.dataSource, first.id).reports([
      { report: VULNS(x), findings: [vuln(x, 'CVE-1'), vuln(x, 'CVE-2')] },
      { report: VULNS(y), findings: [vuln(y, 'CVE-1')] },
    ]);
    await store.succeed(first.id, {});
    const second = await store.create({ kind: 'scanner', type: 'rematch-vulnerabilities', input: { batch: 2 } });
    await store.markRunning(second.id);
    await new ResultWriter(db.dataSource, second.id).reports([
      { report: VULNS(x), findings: [vuln(x, 'CVE-2')] },
      { report: VULNS(y), findings: [] },
    ]);
    const done = await store.succeedResolving(second.id, {});
    expect(done?.resolved.map((f) => `${f.target === x ? 'x' : 'y'} ${f.ruleId} ${f.status}`).sort()).toEqual(['x CVE-1 RESOLVED', 'y CVE-1 RESOLVED']);
    expect(await state(x, 'CVE-2')).toMatchObject({ status: FindingStatus.OPEN, scope: x });
  });

  it('a report complete over some locations resolves there only; findings outside them are refused', async () => {
    const target = `sha256:${'f'.repeat(64)}`;
    const OPENSSL = 'pkg:deb/debian/openssl@3.0.11';
    const at = (id: string, location: string): FindingResult => ({ ...vuln(target, id), location });
    await run('scan-image', { source: 'oci:/partial' }, [
      { findings: [at('CVE-A', OPENSSL), at('CVE-B', OPENSSL), at('CVE-X', 'pkg:deb/debian/glibc@2.36')], report: VULNS(target) },
      { findings: [secret(target)] },
    ]);
    // An update changed openssl's advisories only: the re-match reports openssl's packages (CVE-B left).
    const partial = await run('rematch-vulnerabilities', { imageIds: ['p'] }, [{ findings: [at('CVE-B', OPENSSL)], report: { ...VULNS(target), locations: [OPENSSL] } }]);
    expect(partial.resolved).toEqual(['f CVE-A']);
    expect(await state(target, 'CVE-X')).toMatchObject({ status: FindingStatus.OPEN });
    expect(await state(target, 'aws-access-key-id')).toMatchObject({ status: FindingStatus.OPEN });
    const [covered] = await db.dataSource.query(`SELECT locations FROM task_finding_scope WHERE task_id = $1`, [partial.taskId]);
    expect(covered).toEqual({ locations: [OPENSSL] });
    // An empty partial report over glibc resolves CVE-X only.
    expect((await run('rematch-vulnerabilities', { imageIds: ['q'] }, [{ findings: [], report: { ...VULNS(target), locations: ['pkg:deb/debian/glibc@2.36'] } }])).resolved).toEqual(['f CVE-X']);
    // One task reporting the pair in part and then whole covers the whole pair (CVE-B resolved too).
    const whole = await run('rematch-vulnerabilities', { imageIds: ['r'] }, [
      { findings: [], report: { ...VULNS(target), locations: ['pkg:deb/debian/zlib@1'] } },
      { findings: [], report: VULNS(target) },
    ]);
    expect(whole.resolved).toEqual(['f CVE-B']);
    expect(await db.dataSource.query(`SELECT locations FROM task_finding_scope WHERE task_id = $1`, [whole.taskId])).toEqual([{ locations: null }]);

    const writer = new ResultWriter(db.dataSource, null);
    await expect(writer.findings([at('CVE-Z', 'pkg:deb/debian/bash@5')], { ...VULNS(target), locations: [OPENSSL] })).rejects.toThrow(
      'FindingReport.locations does not hold the location of finding CVE-Z ("pkg:deb/debian/bash@5")',
    );
    await expect(writer.findings([], { ...VULNS(target), locations: 'x' as unknown as string[] })).rejects.toThrow('FindingReport.locations must be a list of strings');
    await expect(writer.findings([], { ...VULNS(target), locations: Array.from({ length: 100_001 }, (_, i) => `l${i}`) })).rejects.toThrow(/holds 100001 locations; at most 100000/);
    await expect(writer.findings([], { ...VULNS(target), locations: ['a\u0000b'] })).rejects.toThrow(/without NUL/);
  });

  // Resolving was a heap-only update until the status page index (migration FindingCounts1765900000001,
  // which says why; bench/findings-write.ts measures what a resolve costs now): only that index holds status.
  it('resolving updates each row once; status is indexed only for status pages, resolved_at not at all, and pages leave room', async () => {
    const indexed: { indexname: string; indexdef: string }[] = await db.dataSource.query(`SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = $1 AND tablename = 'finding'`, [db.schema]);
    expect(indexed.filter((i) => /\b(status|resolved_at)\b/.test(i.indexdef)).map((i) => i.indexname)).toEqual(['IDX_finding_team_status_last_seen_at_id']);
    const [options] = await db.dataSource.query(`SELECT reloptions FROM pg_class WHERE oid = $1::regclass`, [`"${db.schema}".finding`]);
    expect(options).toEqual({ reloptions: ['fillfactor=85'] });

    const target = `sha256:${'9'.repeat(64)}`;
    await run('scan-image', { source: 'oci:/hot' }, [{ findings: [vuln(target, 'CVE-H1'), vuln(target, 'CVE-H2')], report: VULNS(target) }]);
    const store = new TaskStore(db.dataSource);
    const task = await store.create({ kind: 'scanner', type: 'rematch-vulnerabilities', input: { hot: true } });
    await store.markRunning(task.id);
    await new ResultWriter(db.dataSource, task.id).findings([], VULNS(target));
    // The backend's pending counters (they may include its earlier transactions): compared before and after.
    const hot = await db.dataSource.transaction(async (manager) => {
      const counts = async (): Promise<{ updated: number }> =>
        (await manager.query(`SELECT pg_stat_get_xact_tuples_updated($1::regclass)::int AS updated`, [`"${db.schema}".finding`]))[0];
      const before = await counts();
      const resolved = await resolveUnreportedFindings(manager, task.id);
      const after = await counts();
      return { resolved: resolved.length, updated: after.updated - before.updated };
    });
    expect(hot).toEqual({ resolved: 2, updated: 2 });
  });

  it('tells unchanged findings by their content hash; a row without one is written once, with it', async () => {
    const target = `sha256:${'8'.repeat(64)}`;
    const scan = await run('scan-image', { source: 'oci:/hash' }, [{ findings: [vuln(target, 'CVE-K')], report: VULNS(target) }]);
    const hashOf = async (): Promise<string | null> => (await db.dataSource.query(`SELECT content_hash FROM finding WHERE target = $1`, [target]))[0]?.content_hash;
    const stored = await hashOf();
    expect(stored).toMatch(/^[0-9a-f]{64}$/);
    // Reported again unchanged: not written.
    await run('rematch-vulnerabilities', { imageIds: ['h1'] }, [{ findings: [vuln(target, 'CVE-K')], report: VULNS(target) }]);
    expect(await state(target, 'CVE-K')).toMatchObject({ taskId: scan.taskId });
    // A row stored before hashes: written once (same content), then left alone again.
    await db.dataSource.query(`UPDATE finding SET content_hash = NULL WHERE target = $1`, [target]);
    const again = await run('rematch-vulnerabilities', { imageIds: ['h2'] }, [{ findings: [vuln(target, 'CVE-K')], report: VULNS(target) }]);
    expect(await state(target, 'CVE-K')).toMatchObject({ taskId: again.taskId, status: FindingStatus.OPEN });
    expect(await hashOf()).toBe(stored);
    await run('rematch-vulnerabilities', { imageIds: ['h3'] }, [{ findings: [vuln(target, 'CVE-K')], report: VULNS(target) }]);
    expect(await state(target, 'CVE-K')).toMatchObject({ taskId: again.taskId });
    // Changed content (another title): a new hash.
    await run('rematch-vulnerabilities', { imageIds: ['h4'] }, [{ findings: [{ ...vuln(target, 'CVE-K'), title: 'revised' }], report: VULNS(target) }]);
    expect(await hashOf()).not.toBe(stored);
  });

  it('refuses a report without a usable producer or scope', async () => {
    const writer = new ResultWriter(db.dataSource, null);
    await expect(writer.findings([vuln(image, 'CVE-Z')], { producer: '', scope: image })).rejects.toThrow(/FindingReport.producer must be a non-empty string/);
    await expect(writer.findings([vuln(image, 'CVE-Z')], { producer: 'p', scope: 'x'.repeat(5000) })).rejects.toThrow(/FindingReport.scope/);
  });
});

describe('package path: part of the inventory key, read back through StoreInventories', () => {
  const digest = `sha256:${'c'.repeat(64)}`;
  const lodash = (path: string): PackageResult => ({ type: 'npm', name: 'lodash', version: '4.17.20', purl: 'pkg:npm/lodash@4.17.20', layer: 'sha256:l1', path });

  it('stores the same package read from two lockfiles as two packages, with stable ids', async () => {
    const writer = new ResultWriter(db.dataSource, null, undefined, { team: 'blue' });
    await writer.artifact({ digest, references: ['oci:/app'], size: 1, layers: [], os: { family: 'debian', version: '12' } });
    await writer.packages(digest, [lodash('app/package-lock.json'), lodash('tools/package-lock.json'), lodash('app/package-lock.json'), { type: 'deb', name: 'bash', version: '5.2', purl: 'pkg:deb/debian/bash@5.2' }]);
    const rows = await db.dataSource.manager.find(PackageEntity, { where: { team: 'blue' }, order: { path: 'ASC' } });
    expect(rows.map((p) => [p.name, p.path])).toEqual([
      ['bash', ''],
      ['lodash', 'app/package-lock.json'],
      ['lodash', 'tools/package-lock.json'],
    ]);
    // A rescan that no longer has the tools lockfile keeps the other rows' ids.
    await writer.packages(digest, [lodash('app/package-lock.json'), { type: 'deb', name: 'bash', version: '5.2', purl: 'pkg:deb/debian/bash@5.2' }]);
    const after = await db.dataSource.manager.find(PackageEntity, { where: { team: 'blue' }, order: { path: 'ASC' } });
    expect(after.map((p) => p.id)).toEqual([rows[0]?.id, rows[1]?.id]);

    const inventories = new StoreInventories(db.dataSource, 'blue');
    const ids = await inventories.artifactIds({ limit: 10 });
    expect(ids).toHaveLength(1);
    const [inventory] = await inventories.read(ids);
    expect(inventory).toMatchObject({ digest, os: { family: 'debian', version: '12' } });
    expect(inventory?.packages.map((p) => [p.name, p.path ?? null, typeof p.id]).sort()).toEqual([
      ['bash', null, 'string'],
      ['lodash', 'app/package-lock.json', 'string'],
    ]);
    // Another team sees none of it, by listing or by id.
    expect(await new StoreInventories(db.dataSource, 'red').artifactIds({ limit: 10 })).toEqual([]);
    expect(await new StoreInventories(db.dataSource, 'red').read(ids)).toEqual([]);
    await expect(inventories.artifactIds({ limit: 0 })).rejects.toThrow(/limit must be 1 to 10000/);
  });

  it('narrows reads and listings to packages that may carry some names (folded; non-ASCII names always pass)', async () => {
    const team = 'names';
    const writer = new ResultWriter(db.dataSource, null, undefined, { team });
    const digests = [`sha256:${'1'.repeat(64)}`, `sha256:${'2'.repeat(64)}`, `sha256:${'3'.repeat(64)}`];
    for (const digest of digests) await writer.artifact({ digest, references: [], size: 1, layers: [], os: { family: 'debian', version: '12' } });
    const deb = (name: string, source?: string): PackageResult => ({ type: 'deb', name, version: '1', ...(source ? { sourceName: source } : {}), purl: `pkg:deb/debian/${name}@1` });
    await writer.packages(digests[0] ?? '', [deb('libssl3', 'openssl'), deb('bash'), { type: 'pypi', name: 'Django_REST', version: '1', purl: 'pkg:pypi/django-rest@1' }]);
    await writer.packages(digests[1] ?? '', [deb('bash'), deb('zlib1g', 'zlib')]);
    await writer.packages(digests[2] ?? '', [deb('bash'), deb('Straße')]);
    const inventories = new StoreInventories(db.dataSource, team);
    const all = await inventories.artifactIds({ limit: 10 });
    expect(all).toHaveLength(3);
    const names = async (packageNames: string[]) =>
      (await inventories.read(all, { packageNames })).map((i) => `${digests.indexOf(i.digest)}:${i.packages.map((p) => p.name).sort().join(',')}`).sort();
    // By source name (Debian matches by source), by a PyPI name's normal form; every artifact is listed.
    expect(await names(['openssl', 'django-rest'])).toEqual(['0:Django_REST,libssl3', '1:', '2:Straße']);
    expect(await names(['ZLIB'])).toEqual(['0:', '1:zlib1g', '2:Straße']);
    // Listing: only artifacts holding a passing package (a non-ASCII name always passes).
    const indexOf = new Map((await inventories.read(all)).map((i) => [i.artifactId, digests.indexOf(i.digest)]));
    const listed = async (packageNames: string[]) => (await inventories.artifactIds({ limit: 10, packageNames })).map((id) => indexOf.get(id)).sort();
    expect(await listed(['zlib'])).toEqual([1, 2]);
    expect(await listed([])).toEqual([2]);
    // Stored keys: folded name and source name ('' marks a non-ASCII one).
    const keys: { name: string; name_keys: string[] }[] = await db.dataSource.query(`SELECT name, name_keys FROM package WHERE team = $1 AND name IN ('libssl3', 'Straße', 'Django_REST')`, [team]);
    expect(Object.fromEntries(keys.map((k) => [k.name, k.name_keys]))).toEqual({ libssl3: ['libssl3', 'openssl'], Straße: ['', 'straße'], Django_REST: ['django-rest'] });
    // A row another writer stored without keys passes every filter (never missed).
    await db.dataSource.query(`UPDATE package SET name_keys = NULL WHERE team = $1 AND name = 'zlib1g'`, [team]);
    expect(await names(['openssl'])).toEqual(['0:libssl3', '1:zlib1g', '2:Straße']);
    await expect(inventories.read(all, { packageNames: Array.from({ length: 10_001 }, (_, i) => `n${i}`) })).rejects.toThrow(/at most 10000 packageNames, not 10001/);
  });
});
