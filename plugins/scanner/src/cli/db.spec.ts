import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describeWithShared } from '@bulkhead/testing';
import { openEmbeddedAdvisoryStore } from '@bulkhead/vulndb';
import { runDbCommand as db } from './db-command.fixture';


let cacheDir: string;
beforeEach(() => {
  cacheDir = mkdtempSync(path.join(tmpdir(), 'bh-db-cli-'));
});
afterEach(() => rmSync(cacheDir, { recursive: true, force: true }));

const record = (id: string, name: string): string =>
  JSON.stringify({ id, modified: '2024-01-01T00:00:00Z', aliases: [], affected: [{ package: { ecosystem: 'npm', name }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '1.0.0' }] }] }] });

describe('bulkhead db', () => {
  it('status says plainly when there is no database', async () => {
    const run = await db('status', '--cache-dir', cacheDir);
    expect(run.code).toBe(1);
    expect(run.err).toContain(`no advisory database at ${path.join(cacheDir, 'vulndb', 'advisories.sqlite')}: run bulkhead db import <path> or bulkhead db update --feed <url>`);
  });

  it('imports a JSON-lines file, reports rejected lines on stderr, re-imports it whole, and shows status (table and json)', async () => {
    const file = path.join(cacheDir, 'adv.jsonl');
    writeFileSync(file, [record('GHSA-1', 'a'), '{not json', record('GHSA-2', 'b'), JSON.stringify({ id: 5 })].join('\n'));
    const first = await db('import', file, '--cache-dir', cacheDir);
    expect(first.code).toBe(0);
    expect(first.out).toBe(`${file}: 2 advisories imported, 2 rejected\n`);
    expect(first.err).toMatch(new RegExp(`^${file}: 2 records rejected \\(skipped; the rest imported\\):\\n  ${file}:2: .+\\n  ${file}:4: .+\\n$`));

    writeFileSync(file, record('GHSA-2', 'b-renamed'));
    const again = await db('import', '--cache-dir', cacheDir, file);
    expect(again).toEqual({ code: 0, out: `${file}: 1 advisory imported (1 replaced, 1 removed (no longer in the source))\n`, err: '' });

    const table = await db('status', '--cache-dir', cacheDir);
    expect(table.code).toBe(0);
    expect(table.out).toContain('Advisories: 1 (affected package entries: 1)');
    expect(table.out).toMatch(new RegExp(`SOURCE +RECORDS +UPDATED +FEED\\nosv:${file} +1 +\\d{4}-`));

    const json = JSON.parse((await db('status', '--format', 'json', '--cache-dir', cacheDir)).out) as { sources: { source: string; records: number }[] };
    expect(json.sources).toEqual([expect.objectContaining({ source: `osv:${file}`, records: 1 })]);
    const store = openEmbeddedAdvisoryStore(cacheDir);
    expect([...(await store.candidates('npm', ['b', 'b-renamed'])).keys()]).toEqual(['b-renamed']);
    await store.close();
  });

  it('fails (exit 1) for a path that cannot be read or holds no advisory, still importing the others', async () => {
    const good = path.join(cacheDir, 'good.json');
    writeFileSync(good, record('GHSA-9', 'z'));
    const empty = path.join(cacheDir, 'empty.jsonl');
    writeFileSync(empty, '{"nope": 1}\n');
    const missing = path.join(cacheDir, 'missing.json');
    const run = await db('import', missing, empty, good, '--cache-dir', cacheDir);
    expect(run.code).toBe(1);
    expect(run.err).toContain(`not imported: ${missing}: no such file or directory`);
    expect(run.err).toContain(`${empty}: no advisory imported`);
    expect(run.out).toContain(`${good}: 1 advisory imported`);
  });

  it('rejects a bad --format and a missing path as usage errors', async () => {
    expect((await db('status', '--format', 'xml', '--cache-dir', cacheDir)).code).toBe(2);
    await expect(db('import', '--cache-dir', cacheDir)).rejects.toThrow(/missing required argument 'paths'/);
  });
});

describeWithShared('bulkhead db import of ../shared/vulndata', (shared) => {
  it('imports the npm GHSA and PyPI OSV subsets and the Debian OSV folder', async () => {
    const inputs = [
      path.join(shared, 'vulndata', 'ghsa-npm', 'npm-subset.osv.jsonl'),
      path.join(shared, 'vulndata', 'pypa-advisory-database', 'pypi-subset.osv.jsonl'),
      path.join(shared, 'vulndata', 'debian-security-tracker', 'osv'),
    ];
    const run = await db('import', ...inputs, '--cache-dir', cacheDir);
    expect(run.code).toBe(0);
    const store = openEmbeddedAdvisoryStore(cacheDir);
    const status = await store.status();
    expect(status.sources.map((s) => s.source)).toEqual(inputs.map((i) => `osv:${i}`).sort());
    expect(status.sources.find((s) => s.source === `osv:${inputs[0]}`)?.records).toBe(21);
    expect((await store.candidates('npm', ['lodash'])).get('lodash')?.map((c) => c.advisory.id)).toEqual(expect.arrayContaining(['GHSA-35jh-r3h4-6jhm', 'GHSA-29mw-wpgm-hmr9']));
    expect((await store.advisory('CVE-2021-23337')).map((a) => a.id)).toEqual(['GHSA-35jh-r3h4-6jhm']);
    expect((await store.candidates('Debian:12', ['tar'])).get('tar')?.map((c) => c.advisory.id)).toContain('DEBIAN-CVE-2005-2541');
    await store.close();
  });

  it('imports the Debian tracker lists together as one source and each Alpine secdb file as its own', async () => {
    const data = path.join(shared, 'vulndata', 'debian-security-tracker', 'data');
    const alpine = ['v3.10', 'v3.11'].map((v) => path.join(shared, 'vulndata', 'alpine-secdb', v, 'main.json'));
    const lists = [path.join(data, 'CVE', 'list.subset'), path.join(data, 'DSA', 'list.subset')];
    const run = await db('import', ...lists, ...alpine, '--cache-dir', cacheDir);
    expect(run.code).toBe(0);
    expect(run.out).toContain(`${lists.join(', ')}: `);
    const store = openEmbeddedAdvisoryStore(cacheDir);
    const sources = (await store.status()).sources;
    // A secdb file's source is its release and repository (`alpine-secdb:v3.10/main`), wherever the file lies.
    expect(sources.map((s) => s.source)).toEqual([...alpine.map((a) => `alpine-secdb:${path.basename(path.dirname(a))}/${path.basename(a, '.json')}`), 'debian-tracker']);
    for (const source of sources) expect(source.records).toBeGreaterThan(0);
    // Importing one secdb file again replaces only its own records.
    expect((await db('import', alpine[0] ?? '', '--cache-dir', cacheDir)).code).toBe(0);
    expect((await store.status()).sources.map((s) => s.records)).toEqual(sources.map((s) => s.records));
    const musl = (await store.candidates('Alpine:v3.10', ['musl'])).get('musl') ?? [];
    expect(musl.map((c) => c.advisory.id)).toContain('CVE-2019-14697');
    await store.close();
  });
});
