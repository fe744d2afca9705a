import type { Advisory } from '../model';
import { ADVISORY_STORE_MIGRATIONS } from './postgres-migrations';
import { PostgresAdvisoryStore } from './postgres-store';
import { debianAdvisory, npmAdvisory, stream } from './testing/advisories.fixture';
import { createPluginTestDatabase, type PluginTestDatabase } from '@bulkhead/testing';

let scratch: PluginTestDatabase;
let store: PostgresAdvisoryStore;

beforeAll(async () => {
  scratch = await createPluginTestDatabase('vuln_store');
  for (const step of ADVISORY_STORE_MIGRATIONS) await scratch.database.transaction((q) => step.up(q));
  store = new PostgresAdvisoryStore(scratch.database);
});
afterAll(() => scratch?.drop());
beforeEach(async () => {
  await scratch.database.query('TRUNCATE vuln_advisory, vuln_source, vuln_change, vuln_change_import CASCADE');
});

describe('ADVISORY_STORE_MIGRATIONS', () => {
  it('creates the global tables with the lookup indexes, and drops them again', async () => {
    const tables = await scratch.database.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND table_name LIKE 'vuln_%' ORDER BY 1`,
      [scratch.schema],
    );
    expect(tables.map((t) => t.table_name)).toEqual(['vuln_advisory', 'vuln_affected', 'vuln_alias', 'vuln_change', 'vuln_change_import', 'vuln_source']);
    const indexes = await scratch.database.query<{ indexdef: string }>(`SELECT indexdef FROM pg_indexes WHERE schemaname = $1 ORDER BY indexname`, [scratch.schema]);
    const defs = indexes.map((i) => i.indexdef.replace(/ ON \S+\./, ' ON '));
    expect(defs).toEqual(
      expect.arrayContaining([
        expect.stringContaining('vuln_affected_by_package ON vuln_affected USING btree (ecosystem, name)'),
        expect.stringContaining('vuln_alias_pkey ON vuln_alias USING btree (alias, advisory_pk)'),
        expect.stringContaining('vuln_advisory_by_id ON vuln_advisory USING btree (id)'),
      ]),
    );
    // No team column: advisories are public, global data.
    const columns = await scratch.database.query<{ column_name: string }>(`SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name LIKE 'vuln_%'`, [
      scratch.schema,
    ]);
    expect(columns.map((c) => c.column_name)).not.toContain('team_id');

    await scratch.database.transaction(async (q) => {
      for (const step of [...ADVISORY_STORE_MIGRATIONS].reverse()) await step.down?.(q);
      const left = await q.query<{ n: number }>(`SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = $1 AND table_name LIKE 'vuln_%'`, [scratch.schema]);
      expect(left).toEqual([{ n: 0 }]);
      for (const step of ADVISORY_STORE_MIGRATIONS) await step.up(q);
    });
  });

  it('uses the lookup index for candidates', async () => {
    const plan = await scratch.database.transaction(async (q) => {
      await q.query('SET LOCAL enable_seqscan = off');
      return q.query<{ 'QUERY PLAN': string }>(`EXPLAIN SELECT advisory_pk FROM vuln_affected WHERE ecosystem = 'npm' AND name = ANY(ARRAY['a','b'])`);
    });
    expect(plan.map((r) => r['QUERY PLAN']).join('\n')).toMatch(/vuln_affected_by_package/);
  });
});

describe('PostgresAdvisoryStore', () => {
  it('imports, answers candidates with the full advisory and its affected entry, finds by alias, and reports status', async () => {
    const lodash = npmAdvisory('GHSA-35jh-r3h4-6jhm', 'lodash', '4.17.21', { aliases: ['CVE-2021-23337'], severity: 'HIGH' });
    const debian = debianAdvisory('DEBIAN-CVE-2023-4911', { glibc: '2.36-9+deb12u3', tar: undefined }, ['CVE-2023-4911']);
    const report = await store.import('osv', stream([lodash, debian, { where: 'bad.jsonl:3', reason: 'invalid JSON' }]), { url: 'https://example.test/all.zip', etag: '"abc"' });
    expect(report).toEqual({
      source: 'osv',
      imported: 2,
      replaced: 0,
      withdrawn: 0,
      gitRangesSkipped: 0,
      rejected: [{ where: 'bad.jsonl:3', reason: 'invalid JSON' }],
      rejectedCount: 1,
      removed: 0,
      changes: { seq: expect.any(Number), packages: 3 },
    });

    const npm = await store.candidates('npm', ['lodash', 'left-pad']);
    expect([...npm.keys()]).toEqual(['lodash']);
    expect(npm.get('lodash')).toEqual([{ advisory: lodash, affected: lodash.affected[0] }]);
    const deb = await store.candidates('Debian:12', ['glibc', 'tar']);
    expect(deb.get('glibc')?.[0]?.affected).toEqual(debian.affected[0]);
    expect(deb.get('tar')?.[0]).toEqual({ advisory: debian, affected: debian.affected[1] });
    expect(await store.candidates('Debian:11', ['glibc'])).toEqual(new Map());

    expect(await store.advisory('CVE-2023-4911')).toEqual([debian]);
    expect(await store.advisory('GHSA-35jh-r3h4-6jhm')).toEqual([lodash]);
    expect(await store.advisory('CVE-1999-0001')).toEqual([]);

    const status = await store.status();
    expect(status).toMatchObject({ location: 'postgres', advisories: 2, affectedPackages: 3 });
    expect(status.sources).toEqual([{ source: 'osv', records: 2, updatedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/), feed: { url: 'https://example.test/all.zip', etag: '"abc"' } }]);
  });

  it('keys candidates by the caller spelling of PyPI names, and counts withdrawn records and GIT ranges', async () => {
    const pysec: Advisory = {
      ...npmAdvisory('PYSEC-2021-1', 'x', '1'),
      withdrawn: '2022-01-01T00:00:00Z',
      affected: [{ ecosystem: 'PyPI', name: 'Django_REST', ranges: [{ type: 'GIT', events: [{ introduced: 'abc' }] }], versions: [] }],
    };
    expect(await store.import('osv', stream([pysec]))).toMatchObject({ imported: 1, withdrawn: 1, gitRangesSkipped: 1 });
    const found = await store.candidates('PyPI', ['django-rest', 'Django.Rest']);
    expect(found.get('django-rest')).toHaveLength(1);
    expect(found.get('Django.Rest')).toHaveLength(1);
  });

  it('replaces a record of the same id and source across batches (old index rows go too), keeps other sources apart', async () => {
    await store.import('osv', stream([npmAdvisory('GHSA-1', 'old-name', '1.0.0', { aliases: ['CVE-1'] }), npmAdvisory('GHSA-2', 'b', '2.0.0')]));
    await store.import('other', stream([npmAdvisory('GHSA-1', 'old-name', '1.0.0')]));
    const renamed = npmAdvisory('GHSA-1', 'new-name', '1.0.1', { aliases: ['CVE-1b'] });
    // 1,200 records: the repeat of GHSA-1 lands in a later batch of the same import.
    const filler = Array.from({ length: 1200 }, (_, i) => npmAdvisory(`GHSA-f${i}`, `f${i}`, '1'));
    const report = await store.import('osv', stream([renamed, ...filler, renamed]));
    expect(report).toMatchObject({ imported: 1201, replaced: 1 });

    expect((await store.candidates('npm', ['old-name'])).get('old-name')?.map((c) => c.advisory.id)).toEqual(['GHSA-1']);
    expect((await store.candidates('npm', ['new-name'])).get('new-name')).toEqual([{ advisory: renamed, affected: renamed.affected[0] }]);
    expect(await store.advisory('CVE-1')).toEqual([]);
    expect(await store.advisory('CVE-1b')).toEqual([renamed]);
    expect((await store.status()).sources.map((s) => [s.source, s.records])).toEqual([
      ['osv', 1202],
      ['other', 1],
    ]);
  });

  it('rolls the whole import back when the records fail halfway (after batches were written): the previous data stays', async () => {
    await store.import('osv', stream([npmAdvisory('GHSA-1', 'a', '1.0.0')]), { url: 'https://example.test/a.zip', etag: '"v1"' });
    const before = await store.status();
    const records = [npmAdvisory('GHSA-1', 'changed', '9.0.0'), ...Array.from({ length: 1500 }, (_, i) => npmAdvisory(`GHSA-new-${i}`, `n${i}`, '1.0.0'))];
    await expect(store.import('osv', stream(records, 1200), { url: 'https://example.test/a.zip', etag: '"v2"' })).rejects.toThrow('reader failed after 1200 records');
    expect(await store.status()).toEqual(before);
    expect([...(await store.candidates('npm', ['a', 'changed', 'n1'])).keys()]).toEqual(['a']);
  });

  it('a complete import (replaceSource) removes what the source no longer holds; a 304 keeps the data', async () => {
    await store.import('feed', stream([npmAdvisory('GHSA-1', 'a', '1'), npmAdvisory('GHSA-2', 'b', '1'), npmAdvisory('GHSA-3', 'c', '1')]), { url: 'https://f.test/x.zip', etag: '"1"' });
    const report = await store.import('feed', stream([npmAdvisory('GHSA-2', 'b', '2'), npmAdvisory('GHSA-4', 'd', '1')]), { url: 'https://f.test/x.zip', etag: '"2"' }, { replaceSource: true });
    expect(report).toMatchObject({ imported: 2, replaced: 1, removed: 2 });
    expect([...(await store.candidates('npm', ['a', 'b', 'c', 'd'])).keys()].sort()).toEqual(['b', 'd']);
    await store.touchFeed('feed', { url: 'https://f.test/x.zip', etag: '"2"', checkedAt: '2026-01-01T00:00:00.000Z' });
    expect((await store.status()).sources).toEqual([expect.objectContaining({ source: 'feed', records: 2, feed: { url: 'https://f.test/x.zip', etag: '"2"', checkedAt: '2026-01-01T00:00:00.000Z' } })]);
  });

  it('rejects, with the field named, a record Postgres cannot hold (NUL, lone surrogate) and stores the rest', async () => {
    const nul = npmAdvisory('GHSA-nul', 'a', '1', { summary: 'bad\u0000summary' });
    const surrogate = npmAdvisory('GHSA-sur', 'a', '1', { details: 'x\ud800y' });
    const report = await store.import('osv', stream([nul, surrogate, npmAdvisory('GHSA-ok', 'a', '1')]));
    expect(report.imported).toBe(1);
    expect(report.rejected).toEqual([
      { where: 'osv (GHSA-nul)', reason: 'GHSA-nul: field "summary" holds a NUL character or invalid Unicode, which Postgres cannot store' },
      { where: 'osv (GHSA-sur)', reason: 'GHSA-sur: field "details" holds a NUL character or invalid Unicode, which Postgres cannot store' },
    ]);
  });

  it('two imports at once run one after the other (advisory lock) and both land whole', async () => {
    const many = (source: string): Advisory[] => Array.from({ length: 1200 }, (_, i) => npmAdvisory(`${source}-${i}`, `p${i % 30}`, '1'));
    const [a, b] = await Promise.all([store.import('alpha', stream(many('alpha'))), store.import('beta', stream(many('beta')))]);
    expect([a.imported, b.imported]).toEqual([1200, 1200]);
    expect((await store.status()).sources.map((s) => [s.source, s.records])).toEqual([
      ['alpha', 1200],
      ['beta', 1200],
    ]);
    expect((await store.candidates('npm', ['p0'])).get('p0')).toHaveLength(80);
  });

  it('logs the (ecosystem, name) keys each import changed: new, changed, renamed and removed records; not records imported again unchanged', async () => {
    const keys = async (after: number, upTo: number) => (await store.changedPackages({ after, upTo }, 100))?.map((k) => `${k.ecosystem}/${k.name}`);
    const first = await store.import('feed', stream([npmAdvisory('GHSA-1', 'a', '1'), npmAdvisory('GHSA-2', 'b', '1'), debianAdvisory('DEBIAN-CVE-1', { glibc: '2', tar: undefined })]));
    expect(first.changes?.packages).toBe(4);
    const start = first.changes?.seq ?? 0;
    expect(await keys(start - 1, start)).toEqual(['Debian:12/glibc', 'Debian:12/tar', 'npm/a', 'npm/b']);

    // The same documents again (key order differs: compared as jsonb): nothing changed.
    const reordered = Object.fromEntries(Object.entries(npmAdvisory('GHSA-1', 'a', '1')).reverse()) as unknown as Advisory;
    const same = await store.import('feed', stream([reordered, npmAdvisory('GHSA-2', 'b', '1'), debianAdvisory('DEBIAN-CVE-1', { glibc: '2', tar: undefined })]), undefined, { replaceSource: true });
    expect(same).toMatchObject({ imported: 3, replaced: 3, changes: { packages: 0 } });

    // GHSA-1 now names another package (both change), GHSA-2 is withdrawn, the Debian record
    // is gone from the complete feed (its packages change), a PyPI record arrives (normalised key).
    const update = await store.import(
      'feed',
      stream([
        npmAdvisory('GHSA-1', 'a2', '1'),
        npmAdvisory('GHSA-2', 'b', '1', { withdrawn: '2099-01-01T00:00:00Z' }),
        { ...npmAdvisory('PYSEC-1', 'x', '1'), affected: [{ ecosystem: 'PyPI', name: 'Django_REST', ranges: [], versions: ['1.0'] }] },
      ]),
      undefined,
      { replaceSource: true },
    );
    expect(update).toMatchObject({ removed: 1, changes: { packages: 6 } });
    const upTo = update.changes?.seq ?? 0;
    expect(await keys(same.changes?.seq ?? 0, upTo)).toEqual(['Debian:12/glibc', 'Debian:12/tar', 'PyPI/django-rest', 'npm/a', 'npm/a2', 'npm/b']);
    // Ranges merge; more keys than the limit: null (the caller matches everything).
    expect(await keys(start - 1, upTo)).toEqual(['Debian:12/glibc', 'Debian:12/tar', 'PyPI/django-rest', 'npm/a', 'npm/a2', 'npm/b']);
    expect(await store.changedPackages({ after: start - 1, upTo }, 5)).toBeNull();

    // Imports past retention are pruned at the next import: a range holding one is unknown.
    await scratch.database.query(`UPDATE vuln_change_import SET imported_at = now() - interval '31 days' WHERE seq = $1`, [start]);
    const later = await store.import('other', stream([npmAdvisory('GHSA-9', 'z', '1')]));
    expect(await store.changedPackages({ after: start - 1, upTo }, 100)).toBeNull();
    expect(await keys(start, upTo)).toHaveLength(6);
    expect(await keys(upTo, later.changes?.seq ?? 0)).toEqual(['npm/z']);
    expect(await scratch.database.query(`SELECT count(*)::int AS n FROM vuln_change WHERE seq = $1`, [start])).toEqual([{ n: 0 }]);
  });

  it('a rolled-back import leaves no change rows', async () => {
    const before = await scratch.database.query<{ n: number }>(`SELECT count(*)::int AS n FROM vuln_change`);
    await expect(store.import('osv', stream([npmAdvisory('GHSA-1', 'a', '1'), ...Array.from({ length: 600 }, (_, i) => npmAdvisory(`GHSA-x${i}`, `x${i}`, '1'))], 550))).rejects.toThrow();
    expect(await scratch.database.query(`SELECT count(*)::int AS n FROM vuln_change`)).toEqual(before);
    expect(await scratch.database.query(`SELECT count(*)::int AS n FROM vuln_change_import`)).toEqual([{ n: 0 }]);
  });
});
