import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Advisory } from '../model';
import { embeddedStorePath } from './cache-dir';
import { AdvisoryDatabaseError, createEmbeddedAdvisoryStore, openEmbeddedAdvisoryStore, SqliteAdvisoryStore, SQLITE_SCHEMA_VERSION } from './sqlite-store';
import { debianAdvisory, npmAdvisory, stream } from './testing/advisories.fixture';

let cacheDir: string;
beforeEach(() => {
  cacheDir = mkdtempSync(path.join(tmpdir(), 'bh-sqlite-store-'));
});
afterEach(() => rmSync(cacheDir, { recursive: true, force: true }));

describe('SqliteAdvisoryStore', () => {
  it('imports, answers candidates with the full advisory and its affected entry, finds by alias, and reports status', async () => {
    const store = createEmbeddedAdvisoryStore(cacheDir);
    const lodash = npmAdvisory('GHSA-35jh-r3h4-6jhm', 'lodash', '4.17.21', { aliases: ['CVE-2021-23337'], severity: 'HIGH' });
    const debian = debianAdvisory('DEBIAN-CVE-2023-4911', { glibc: '2.36-9+deb12u3', tar: undefined }, ['CVE-2023-4911']);
    const report = await store.import('osv', stream([lodash, debian, { where: 'bad.jsonl:3', reason: 'invalid JSON' }]), { url: 'https://example.test/all.zip', etag: '"abc"' });
    expect(report).toEqual({ source: 'osv', imported: 2, replaced: 0, withdrawn: 0, gitRangesSkipped: 0, rejected: [{ where: 'bad.jsonl:3', reason: 'invalid JSON' }], rejectedCount: 1, removed: 0 });

    const npm = await store.candidates('npm', ['lodash', 'left-pad']);
    expect([...npm.keys()]).toEqual(['lodash']);
    expect(npm.get('lodash')).toEqual([{ advisory: lodash, affected: lodash.affected[0] }]);

    // One advisory, two packages: each name gets its own affected entry of the same advisory.
    const deb = await store.candidates('Debian:12', ['glibc', 'tar']);
    expect(deb.get('glibc')?.[0]?.affected).toEqual(debian.affected[0]);
    expect(deb.get('tar')?.[0]?.affected).toEqual(debian.affected[1]);
    expect(deb.get('tar')?.[0]?.advisory).toEqual(debian);
    expect(await store.candidates('Debian:11', ['glibc'])).toEqual(new Map());

    expect(await store.advisory('CVE-2023-4911')).toEqual([debian]);
    expect(await store.advisory('GHSA-35jh-r3h4-6jhm')).toEqual([lodash]);
    expect(await store.advisory('CVE-1999-0001')).toEqual([]);

    const status = await store.status();
    expect(status).toMatchObject({ location: embeddedStorePath(cacheDir), advisories: 2, affectedPackages: 3 });
    expect(status.sources).toEqual([{ source: 'osv', records: 2, updatedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), feed: { url: 'https://example.test/all.zip', etag: '"abc"' } }]);
    await store.close();
  });

  it('normalises PyPI names on both sides and counts withdrawn records and GIT ranges', async () => {
    const store = createEmbeddedAdvisoryStore(cacheDir);
    const pysec: Advisory = {
      ...npmAdvisory('PYSEC-2021-1', 'x', '1'),
      withdrawn: '2022-01-01T00:00:00Z',
      affected: [{ ecosystem: 'PyPI', name: 'Django_REST', ranges: [{ type: 'GIT', events: [{ introduced: 'abc' }] }, { type: 'ECOSYSTEM', events: [{ introduced: '0' }] }], versions: [] }],
    };
    const report = await store.import('osv', stream([pysec]));
    expect(report).toMatchObject({ imported: 1, withdrawn: 1, gitRangesSkipped: 1 });
    expect((await store.candidates('PyPI', ['django-rest'])).get('django-rest')).toHaveLength(1);
    expect((await store.candidates('PyPI', ['Django.Rest'])).get('Django.Rest')).toHaveLength(1);
    await store.close();
  });

  it('replaces a record of the same id and source (its old index rows go too), keeps other sources apart', async () => {
    const store = createEmbeddedAdvisoryStore(cacheDir);
    await store.import('osv', stream([npmAdvisory('GHSA-1', 'old-name', '1.0.0', { aliases: ['CVE-1'] }), npmAdvisory('GHSA-2', 'b', '2.0.0')]));
    await store.import('other', stream([npmAdvisory('GHSA-1', 'old-name', '1.0.0')]));
    const renamed = npmAdvisory('GHSA-1', 'new-name', '1.0.1', { aliases: ['CVE-1b'] });
    const report = await store.import('osv', stream([renamed, renamed]));
    expect(report).toMatchObject({ imported: 1, replaced: 1 });

    expect((await store.candidates('npm', ['old-name'])).get('old-name')?.map((c) => c.advisory.source)).toEqual(['osv:test']);
    expect((await store.candidates('npm', ['new-name'])).get('new-name')).toEqual([{ advisory: renamed, affected: renamed.affected[0] }]);
    expect(await store.advisory('CVE-1')).toEqual([]);
    expect(await store.advisory('CVE-1b')).toEqual([renamed]);
    expect((await store.status()).sources.map((s) => [s.source, s.records])).toEqual([
      ['osv', 2],
      ['other', 1],
    ]);
    await store.close();
  });

  it('rolls the whole import back when the records fail halfway: the previous data stays', async () => {
    const store = createEmbeddedAdvisoryStore(cacheDir);
    await store.import('osv', stream([npmAdvisory('GHSA-1', 'a', '1.0.0')]), { url: 'https://example.test/a.zip', etag: '"v1"' });
    const before = await store.status();
    const records = [npmAdvisory('GHSA-1', 'changed', '9.0.0'), ...Array.from({ length: 500 }, (_, i) => npmAdvisory(`GHSA-new-${i}`, `n${i}`, '1.0.0'))];
    await expect(store.import('osv', stream(records, 300), { url: 'https://example.test/a.zip', etag: '"v2"' })).rejects.toThrow('reader failed after 300 records');

    expect(await store.status()).toEqual(before);
    expect((await store.candidates('npm', ['a', 'changed', 'n1'])).size).toBe(1);
    // The store is usable again after the failure.
    expect((await store.import('osv', stream([npmAdvisory('GHSA-2', 'b', '1.0.0')]))).imported).toBe(1);
    await store.close();
  });

  it('a complete import (replaceSource) removes what the source no longer holds', async () => {
    const store = createEmbeddedAdvisoryStore(cacheDir);
    await store.import('feed', stream([npmAdvisory('GHSA-1', 'a', '1'), npmAdvisory('GHSA-2', 'b', '1'), npmAdvisory('GHSA-3', 'c', '1')]));
    const report = await store.import('feed', stream([npmAdvisory('GHSA-2', 'b', '2'), npmAdvisory('GHSA-4', 'd', '1')]), undefined, { replaceSource: true });
    expect(report).toMatchObject({ imported: 2, replaced: 1, removed: 2 });
    const found = await store.candidates('npm', ['a', 'b', 'c', 'd']);
    expect([...found.keys()].sort()).toEqual(['b', 'd']);
    expect((await store.status()).sources[0]?.records).toBe(2);
    await store.close();
  });

  it('rejects records the indexes cannot hold, and keeps only the first 1,000 reasons of a flood', async () => {
    const store = createEmbeddedAdvisoryStore(cacheDir);
    const noName = { ...npmAdvisory('GHSA-x', 'a', '1'), affected: [{ ecosystem: 'npm', name: '', ranges: [], versions: [] }] };
    const flood = Array.from({ length: 5000 }, (_, i) => ({ where: `f.jsonl:${i + 1}`, reason: 'not JSON' }));
    const report = await store.import('osv', stream([noName, { ...npmAdvisory('', 'a', '1') }, ...flood, npmAdvisory('GHSA-ok', 'a', '1')]));
    expect(report.imported).toBe(1);
    expect(report.rejectedCount).toBe(5002);
    expect(report.rejected).toHaveLength(1000);
    expect(report.rejected.slice(0, 3)).toEqual([
      { where: 'osv (GHSA-x)', reason: 'GHSA-x: affected[0] has no package name' },
      { where: 'osv', reason: 'advisory has no id' },
      { where: 'f.jsonl:1', reason: 'not JSON' },
    ]);
    await store.close();
  });

  it('creates the cache folders private (0700), WAL, and opens read-only for scans', async () => {
    const dir = path.join(cacheDir, 'nested', 'cache');
    const store = createEmbeddedAdvisoryStore(dir);
    await store.import('osv', stream([npmAdvisory('GHSA-1', 'a', '1')]));
    await store.close();
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(path.dirname(embeddedStorePath(dir))).mode & 0o777).toBe(0o700);
    const raw = new Database(embeddedStorePath(dir), { readonly: true });
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    raw.close();

    const reader = openEmbeddedAdvisoryStore(dir);
    expect((await reader.candidates('npm', ['a'])).get('a')).toHaveLength(1);
    await expect(reader.import('osv', stream([]))).rejects.toThrow(/is open read-only/);
    await reader.close();
  });

  it('says plainly when there is no database, a newer schema, or a file that is not one', async () => {
    const file = embeddedStorePath(cacheDir);
    expect(() => openEmbeddedAdvisoryStore(cacheDir)).toThrow(`no advisory database at ${file}: run bulkhead db import <path> or bulkhead db update --feed <url>`);

    const store = createEmbeddedAdvisoryStore(cacheDir);
    await store.close();
    const raw = new Database(file);
    raw.pragma(`user_version = ${SQLITE_SCHEMA_VERSION + 1}`);
    raw.close();
    for (const open of [() => openEmbeddedAdvisoryStore(cacheDir), () => createEmbeddedAdvisoryStore(cacheDir)]) {
      expect(open).toThrow(AdvisoryDatabaseError);
      expect(open).toThrow(`the advisory database at ${file} has schema version 2, newer than this bulkhead understands (1): upgrade bulkhead, or remove the file and import again`);
    }

    const other = path.join(cacheDir, 'other.sqlite');
    const foreign = new Database(other);
    foreign.exec('CREATE TABLE t (x)');
    foreign.close();
    expect(() => new SqliteAdvisoryStore(other)).toThrow(`${other} is an SQLite file but not a Bulkhead advisory database`);

    const garbage = path.join(cacheDir, 'garbage.sqlite');
    writeFileSync(garbage, 'x'.repeat(4096));
    expect(() => new SqliteAdvisoryStore(garbage, { readonly: true })).toThrow(/is not a readable advisory database|cannot open the advisory database/);
  });

  it('a second writer waits for the lock, and says so when the wait runs out', async () => {
    const first = createEmbeddedAdvisoryStore(cacheDir);
    const second = createEmbeddedAdvisoryStore(cacheDir, { lockTimeoutMs: 50 });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    async function* held(): AsyncIterable<Advisory> {
      yield npmAdvisory('GHSA-1', 'a', '1');
      await gate;
    }
    const running = first.import('osv', held());
    await new Promise((resolve) => setTimeout(resolve, 20));
    await expect(second.import('other', stream([npmAdvisory('GHSA-2', 'b', '1')]))).rejects.toThrow(
      `the advisory database at ${embeddedStorePath(cacheDir)} is locked by another bulkhead process (an import or update still running): try again when it has finished`,
    );
    // A reader is never blocked by the writer (WAL) and sees the last committed data.
    const reader = openEmbeddedAdvisoryStore(cacheDir);
    expect((await reader.status()).advisories).toBe(0);
    release();
    await running;
    expect((await reader.status()).advisories).toBe(1);
    expect((await second.import('other', stream([npmAdvisory('GHSA-2', 'b', '1')]))).imported).toBe(1);
    await Promise.all([first.close(), second.close(), reader.close()]);
  });

  it('two processes importing at once both succeed, one after the other, and the file stays sound', async () => {
    const child = path.join(__dirname, 'testing', 'import-child.fixture.ts');
    const run = (source: string): Promise<{ code: number | null; stdout: string; stderr: string }> =>
      new Promise((resolve) => {
        const p = spawn(process.execPath, ['-r', '@swc-node/register', child, cacheDir, source, '3000'], { stdio: ['ignore', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
        p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        p.on('close', (code) => resolve({ code, stdout, stderr }));
      });
    const results = await Promise.all([run('alpha'), run('beta')]);
    for (const r of results) {
      expect(r).toMatchObject({ code: 0, stderr: '' });
      expect(JSON.parse(r.stdout)).toMatchObject({ imported: 3000 });
    }
    const store = openEmbeddedAdvisoryStore(cacheDir);
    expect((await store.status()).sources.map((s) => [s.source, s.records])).toEqual([
      ['alpha', 3000],
      ['beta', 3000],
    ]);
    await store.close();
    const raw = new Database(embeddedStorePath(cacheDir), { readonly: true });
    expect(raw.pragma('integrity_check', { simple: true })).toBe('ok');
    raw.close();
  }, 60_000);
});
