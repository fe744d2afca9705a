import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describeWithShared } from '@bulkhead/testing';
import type { Advisory, RejectedRecord } from '../model';
import { isRejected } from './osv-record';
import { osvInputKind, readOsv, readOsvJsonLines, readOsvZip, type AdvisoryItem } from './osv-reader';
import { buildZip } from './testing/zip-writer';

// Some cases write and read tens of MB; leave room for a loaded CI machine.
jest.setTimeout(30_000);

/** The first element, failing the test when there is none. */
function first<T>(list: readonly T[]): T {
  const [item] = list;
  if (item === undefined) throw new Error('expected at least one element');
  return item;
}

async function collect(items: AsyncIterable<AdvisoryItem>): Promise<{ advisories: Advisory[]; rejected: RejectedRecord[] }> {
  const advisories: Advisory[] = [];
  const rejected: RejectedRecord[] = [];
  for await (const item of items) (isRejected(item) ? rejected : advisories).push(item as never);
  return { advisories, rejected };
}

const record = (id: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  id,
  modified: '2024-01-01T00:00:00Z',
  affected: [{ package: { ecosystem: 'npm', name: 'left-pad' }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '1.3.0' }] }] }],
  ...extra,
});

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'bh-osv-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, content: string | Buffer): string {
  const file = path.join(dir, name);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, content);
  return file;
}

describe('OSV records', () => {
  it('normalises ids, aliases (with upstream), ecosystems, names, CVSS and GHSA severity', async () => {
    const file = write(
      'r.json',
      JSON.stringify({
        id: 'GHSA-xxxx',
        aliases: ['CVE-2024-1', 'CVE-2024-1'],
        upstream: ['CVE-2024-2'],
        summary: 's',
        severity: [
          { type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' },
          { type: 'CVSS_V4', score: 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N' },
          { type: 'CVSS_V2', score: 'AV:N/AC:L/Au:N/C:P/I:P/A:P' },
        ],
        affected: [
          { package: { ecosystem: 'pypi', name: 'Django_REST.framework' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { last_affected: '3.1' }] }], versions: ['3.0'] },
          { package: { ecosystem: 'Alpine:3.18', name: 'musl' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '1.2.4-r1' }] }] },
          { ranges: [{ type: 'GIT', repo: 'https://x', events: [{ introduced: 'abc' }] }] },
        ],
        references: [{ type: 'WEB', url: 'https://example.org' }],
        database_specific: { severity: 'MODERATE' },
      }),
    );
    const { advisories, rejected } = await collect(readOsv(file));
    expect(rejected).toEqual([]);
    expect(advisories).toEqual([
      {
        id: 'GHSA-xxxx',
        source: `osv:${file}`,
        aliases: ['CVE-2024-1', 'CVE-2024-2'],
        summary: 's',
        severity: 'MEDIUM',
        cvss: [
          { type: 'CVSS_V3', vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', score: 9.8 },
          { type: 'CVSS_V4', vector: 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N', score: 9.3 },
        ],
        references: ['https://example.org'],
        affected: [
          { ecosystem: 'PyPI', name: 'django-rest-framework', ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { last_affected: '3.1' }] }], versions: ['3.0'] },
          { ecosystem: 'Alpine:v3.18', name: 'musl', ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '1.2.4-r1' }] }], versions: [] },
        ],
      },
    ]);
  });

  it('drops an unscorable CVSS vector but keeps the advisory', async () => {
    const file = write('r.json', JSON.stringify(record('GHSA-1', { severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L' }] })));
    const { advisories } = await collect(readOsv(file));
    expect(advisories).toHaveLength(1);
    expect(first(advisories).cvss).toEqual([]);
  });

  it('reads Debian statuses and urgencies of converted records', async () => {
    const file = write(
      'd.json',
      JSON.stringify({
        id: 'DEBIAN-CVE-2023-1',
        upstream: ['CVE-2023-1'],
        affected: [
          { package: { ecosystem: 'Debian:12', name: 'glibc' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }] }], database_specific: { debian_status: 'open', bookworm_annotation: 'no-dsa', urgency: 'low' } },
          { package: { ecosystem: 'Debian:12', name: 'coreutils' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }] }], database_specific: { bookworm_annotation: 'ignored' } },
          { package: { ecosystem: 'Debian:12', name: 'tar' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }] }], ecosystem_specific: { urgency: 'unimportant' }, database_specific: { debian_status: 'open' } },
          { package: { ecosystem: 'Debian:bookworm', name: 'perl' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '5.36.0-7+deb12u1' }] }], database_specific: { bookworm_annotation: 'no-dsa' } },
          { package: { ecosystem: 'Debian:12', name: 'zlib' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }] }], database_specific: { status: 'postponed' } },
        ],
      }),
    );
    const advisory = first((await collect(readOsv(file))).advisories);
    expect(advisory.aliases).toEqual(['CVE-2023-1']);
    expect(advisory.affected.map((a) => [a.ecosystem, a.name, a.status, a.severity])).toEqual([
      ['Debian:12', 'glibc', 'affected', 'LOW'],
      ['Debian:12', 'coreutils', 'will_not_fix', undefined],
      ['Debian:12', 'tar', 'affected', 'LOW'],
      ['Debian:12', 'perl', undefined, undefined],
      ['Debian:12', 'zlib', 'fix_deferred', undefined],
    ]);
  });

  it.each([
    ['missing id', { modified: 'x' }, /^id: missing/],
    ['id of the wrong type', { id: 5 }, /^id: expected a string, got number/],
    ['aliases not an array', { ...record('A'), aliases: 'CVE-1' }, /^aliases: expected an array, got string \(A\)/],
    ['unknown range type', record('A', { affected: [{ package: { ecosystem: 'npm', name: 'x' }, ranges: [{ type: 'SEMVERISH', events: [{ introduced: '0' }] }] }] }), /affected\[0\]\.ranges\[0\]\.type: unknown range type "SEMVERISH"/],
    ['event with two keys', record('A', { affected: [{ package: { ecosystem: 'npm', name: 'x' }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0', fixed: '1' }] }] }] }), /events\[0\]: expected exactly one of .* got introduced and fixed/],
    ['range without events', record('A', { affected: [{ package: { ecosystem: 'npm', name: 'x' }, ranges: [{ type: 'SEMVER', events: [] }] }] }), /a range needs at least one event/],
    ['package without a name', record('A', { affected: [{ package: { ecosystem: 'npm' }, ranges: [] }] }), /affected\[0\]\.package\.name: missing/],
    ['versions with a number', record('A', { affected: [{ package: { ecosystem: 'npm', name: 'x' }, versions: ['1', 2] }] }), /affected\[0\]\.versions\[1\]: expected a string, got number/],
    ['not an object', ['just', 'strings'], /record: expected a JSON object, got string/],
  ])('rejects a record with %s, naming the field', async (_name, value, reason) => {
    const file = write('bad.json', JSON.stringify(value));
    const { advisories, rejected } = await collect(readOsv(file));
    expect(advisories).toEqual([]);
    expect(first(rejected).where).toMatch(/bad\.json/);
    expect(first(rejected).reason).toMatch(reason);
  });
});

describe('OSV inputs', () => {
  it('reads a folder recursively in name order, skipping non-JSON files and symbolic links', async () => {
    write('b/GHSA-2.json', JSON.stringify(record('GHSA-2')));
    write('a/GHSA-1.json', JSON.stringify(record('GHSA-1')));
    write('a/README.md', '# not a record');
    write('broken.json', '{"id": ');
    symlinkSync(path.join(dir, 'a'), path.join(dir, 'link'));
    expect(await osvInputKind(dir)).toBe('directory');
    const { advisories, rejected } = await collect(readOsv(dir));
    expect(advisories.map((a) => a.id)).toEqual(['GHSA-1', 'GHSA-2']);
    expect(rejected).toEqual([{ where: path.join(dir, 'broken.json'), reason: expect.stringMatching(/^invalid JSON: /) }]);
  });

  it('reads JSON lines one line at a time, naming the line of each rejection', async () => {
    const file = write('all.jsonl', [JSON.stringify(record('A')), '', '{"id": "B", "affected": 7}', 'not json', JSON.stringify(record('C')) + '\r', ''].join('\n'));
    expect(await osvInputKind(file)).toBe('jsonl');
    const { advisories, rejected } = await collect(readOsv(file));
    expect(advisories.map((a) => a.id)).toEqual(['A', 'C']);
    expect(rejected).toEqual([
      { where: `${file}:3`, reason: 'affected: expected an array, got number (B)' },
      { where: `${file}:4`, reason: expect.stringMatching(/^invalid JSON/) },
    ]);
  });

  it('reads an osv.dev-style zip entry by entry, whatever its name', async () => {
    const file = write('all.bin', buildZip([{ name: 'GHSA-1.json', data: JSON.stringify(record('GHSA-1')) }, { name: 'sub/', data: '' }, { name: 'GHSA-2.json', data: JSON.stringify(record('GHSA-2')), store: true }, { name: 'bad.json', data: '{' }, { name: 'notes.txt', data: 'x' }]));
    expect(await osvInputKind(file)).toBe('zip');
    const { advisories, rejected } = await collect(readOsv(file, { source: 'osv:feed' }));
    expect(advisories.map((a) => [a.id, a.source])).toEqual([
      ['GHSA-1', 'osv:feed'],
      ['GHSA-2', 'osv:feed'],
    ]);
    expect(rejected).toEqual([{ where: `${file}!bad.json`, reason: expect.stringMatching(/^invalid JSON/) }]);
  });

  it('accepts entry names with absolute paths or .. (nothing is written to disk)', async () => {
    const file = write('t.zip', buildZip([{ name: '../../etc/GHSA-1.json', data: JSON.stringify(record('GHSA-1')) }, { name: '/abs/GHSA-2.json', data: JSON.stringify(record('GHSA-2')) }]));
    expect((await collect(readOsvZip(file))).advisories.map((a) => a.id)).toEqual(['GHSA-1', 'GHSA-2']);
  });

  it('says plainly when a path cannot be read', async () => {
    await expect(collect(readOsv(path.join(dir, 'absent.zip')))).rejects.toThrow(/absent\.zip: cannot read \(ENOENT\)/);
  });
});

describe('hostile input', () => {
  it('rejects an entry declaring 2 GiB without reading it, and imports the rest', async () => {
    const file = write('big.zip', buildZip([{ name: 'huge.json', data: '{}', declaredSize: 2 * 1024 ** 3 }, { name: 'GHSA-1.json', data: JSON.stringify(record('GHSA-1')) }]));
    const { advisories, rejected } = await collect(readOsvZip(file, { limits: { maxZipRatio: 1e12 } }));
    expect(advisories.map((a) => a.id)).toEqual(['GHSA-1']);
    expect(rejected).toEqual([{ where: `${file}!huge.json`, reason: 'declares 2 GiB uncompressed, over the 32 MiB limit for one record' }]);
  });

  it('refuses an overlapping-entry zip bomb before inflating it', async () => {
    // One 10 MiB entry (~10 KiB deflated) referenced by 1,000 central-directory records: 10 GB declared.
    const file = write('bomb.zip', buildZip([{ name: 'a.json', data: Buffer.alloc(10 * 1024 * 1024, 0x20) }], { overlapCopies: 1000 }));
    await expect(collect(readOsvZip(file))).rejects.toThrow(/bomb\.zip: entry copy-1-a\.json overlaps the entry before it \(a zip bomb\)/);
  });

  it('refuses an archive whose declared sizes are far beyond its own size', async () => {
    // Distinct, honest entries that compress ~1000:1 (real OSV JSON compresses ~10:1).
    const entries = Array.from({ length: 4 }, (_, i) => ({ name: `S-${i}.json`, data: Buffer.alloc(1024 * 1024, 0x20) }));
    const file = write('ratio.zip', buildZip(entries));
    await expect(collect(readOsvZip(file, { limits: { zipRatioGraceBytes: 2 * 1024 * 1024 } }))).rejects.toThrow(
      /ratio\.zip: entries declare 3 MiB from a .* archive \(ratio over 200:1 at S-2\.json\): a zip bomb/,
    );
  });

  it('refuses archives over the entry-count and total-size limits', async () => {
    const entries = Array.from({ length: 5 }, (_, i) => ({ name: `R-${i}.json`, data: JSON.stringify(record(`R-${i}`)) }));
    const file = write('many.zip', buildZip(entries));
    await expect(collect(readOsvZip(file, { limits: { maxZipEntries: 4 } }))).rejects.toThrow(/5 entries, over the limit of 4/);
    await expect(collect(readOsvZip(file, { limits: { maxZipTotalBytes: 300 } }))).rejects.toThrow(/entries decompress to more than 300 bytes/);
  });

  it('stops an entry that inflates past its declared size', async () => {
    const file = write('liar.zip', buildZip([{ name: 'liar.json', data: JSON.stringify(record('X')), declaredSize: 10 }, { name: 'GHSA-1.json', data: JSON.stringify(record('GHSA-1')) }]));
    const { advisories, rejected } = await collect(readOsvZip(file));
    expect(advisories.map((a) => a.id)).toEqual(['GHSA-1']);
    expect(rejected).toEqual([{ where: `${file}!liar.json`, reason: 'unreadable entry: inflates past its declared 10 bytes' }]);
  });

  it('rejects an entry whose data does not match its CRC-32, and one claiming more compressed bytes than possible', async () => {
    const data = JSON.stringify(record('X'));
    const archive = buildZip([{ name: 'x.json', data, store: true }, { name: 'GHSA-1.json', data: JSON.stringify(record('GHSA-1')) }]);
    archive[30 + 'x.json'.length + 8] ^= 0x01; // flip one bit inside the stored record
    const file = write('crc.zip', archive);
    const { advisories, rejected } = await collect(readOsvZip(file));
    expect(advisories.map((a) => a.id)).toEqual(['GHSA-1']);
    expect(rejected).toEqual([{ where: `${file}!x.json`, reason: 'unreadable entry: CRC-32 mismatch' }]);
  });

  it('refuses an archive whose central directory is inconsistent', async () => {
    // A stored entry must declare equal compressed and uncompressed sizes; yauzl refuses the archive.
    const file = write('odd.zip', buildZip([{ name: 'a.json', data: '{}', store: true, declaredSize: 99 }]));
    await expect(collect(readOsv(file))).rejects.toThrow(/odd\.zip: corrupt zip archive \(compressed\/uncompressed size mismatch/);
  });

  it('refuses a file that is not a zip though it starts like one', async () => {
    const file = write('fake.zip', Buffer.concat([Buffer.from('PK\u0003\u0004'), Buffer.alloc(100)]));
    await expect(collect(readOsv(file))).rejects.toThrow(/fake\.zip: not a readable zip archive/);
  });

  it('rejects deeply nested JSON without recursing into it', async () => {
    const file = write('deep.jsonl', `${'['.repeat(100_000)}${']'.repeat(100_000)}\n${JSON.stringify(record('OK'))}\n`);
    const { advisories, rejected } = await collect(readOsvJsonLines(file));
    expect(advisories.map((a) => a.id)).toEqual(['OK']);
    expect(rejected).toEqual([{ where: `${file}:1`, reason: 'JSON nested deeper than 64 levels (at character 64)' }]);
  });

  it('rejects NUL bytes and invalid UTF-8, naming the offset', async () => {
    const good = Buffer.from(JSON.stringify(record('OK')));
    const nul = Buffer.from('{"id": "A\u0000"}');
    const invalid = Buffer.concat([Buffer.from('{"id": "caf'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]);
    const file = write('bad.jsonl', Buffer.concat([nul, Buffer.from('\n'), invalid, Buffer.from('\n'), good]));
    const { advisories, rejected } = await collect(readOsvJsonLines(file));
    expect(advisories.map((a) => a.id)).toEqual(['OK']);
    expect(rejected).toEqual([
      { where: `${file}:1`, reason: 'NUL byte at character 9 (not allowed in JSON)' },
      { where: `${file}:2`, reason: 'invalid UTF-8 at byte 11' },
    ]);
  });

  it('rejects a 50 MB line with bounded memory and imports the lines around it', async () => {
    const file = path.join(dir, 'long.jsonl');
    const { createWriteStream } = await import('node:fs');
    const out = createWriteStream(file);
    out.write(JSON.stringify(record('BEFORE')) + '\n');
    const chunk = Buffer.alloc(1024 * 1024, 0x61);
    out.write('{"id": "LONG", "details": "');
    for (let i = 0; i < 50; i++) out.write(chunk);
    out.write('"}\n' + JSON.stringify(record('AFTER')) + '\n');
    await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
    const before = process.memoryUsage().rss;
    let peak = before;
    const items: AdvisoryItem[] = [];
    // Memory is bounded by the per-record limit (the line is dropped once it passes it), not by
    // the line's length: with a 4 MiB limit a 50 MB line costs a few MiB.
    for await (const item of readOsvJsonLines(file, { limits: { maxRecordBytes: 4 * 1024 * 1024 } })) {
      items.push(item);
      peak = Math.max(peak, process.memoryUsage().rss);
    }
    expect(items.map((i) => (isRejected(i) ? i : i.id))).toEqual(['BEFORE', { where: `${file}:2`, reason: 'line is 50.0 MiB, over the 4 MiB limit for one record' }, 'AFTER']);
    expect(peak - before).toBeLessThan(24 * 1024 * 1024);
  });

  it('rejects a .json file over the record limit without reading it', async () => {
    const file = write('big.json', Buffer.alloc(2048, 0x20));
    const { rejected } = await collect(readOsv(file, { limits: { maxRecordBytes: 1024 } }));
    expect(rejected).toEqual([{ where: file, reason: 'file is 2 KiB, over the 1 KiB limit for one record' }]);
  });
});

describeWithShared('OSV data in ../shared/vulndata', (shared) => {
  const vulndata = path.join(shared, 'vulndata');

  it('imports the GHSA npm subset (JSON lines and files agree), the withdrawn minimist record included', async () => {
    const lines = await collect(readOsv(path.join(vulndata, 'ghsa-npm', 'npm-subset.osv.jsonl'), { source: 'osv:x' }));
    const files = await collect(readOsv(path.join(vulndata, 'ghsa-npm', 'osv'), { source: 'osv:x' }));
    expect(lines.rejected).toEqual([]);
    expect(files.rejected).toEqual([]);
    expect(lines.advisories).toHaveLength(21);
    const byId = (list: Advisory[]) => [...list].sort((a, b) => a.id.localeCompare(b.id));
    expect(byId(files.advisories)).toEqual(byId(lines.advisories));
    const lodash = first(lines.advisories.filter((a) => a.id === 'GHSA-35jh-r3h4-6jhm'));
    expect(lodash).toMatchObject({ aliases: ['CVE-2021-23337'], severity: 'HIGH', cvss: [{ type: 'CVSS_V3', score: 7.2 }] });
    expect(lines.advisories.filter((a) => a.withdrawn)).toHaveLength(1);
  });

  it('imports the PyPA advisories folder and its JSON-lines copy to the same records', async () => {
    const folder = await collect(readOsv(path.join(vulndata, 'pypa-advisory-database', 'vulns'), { source: 'osv:x' }));
    const lines = await collect(readOsv(path.join(vulndata, 'pypa-advisory-database', 'pypi-subset.osv.jsonl'), { source: 'osv:x' }));
    expect(folder.rejected).toEqual([]);
    expect(lines.rejected).toEqual([]);
    expect(folder.advisories).toHaveLength(251);
    const ids = (list: Advisory[]) => list.map((a) => a.id).sort();
    expect(ids(lines.advisories)).toEqual(ids(folder.advisories));
    for (const advisory of folder.advisories) for (const affected of advisory.affected) expect(affected.ecosystem).toBe('PyPI');
    const raw = JSON.parse(readFileSync(path.join(vulndata, 'pypa-advisory-database', 'vulns', 'lxml', 'PYSEC-2021-19.json'), 'utf8')) as { aliases: string[] };
    expect(first(folder.advisories.filter((a) => a.id === 'PYSEC-2021-19')).aliases).toEqual(raw.aliases);
  });

  it('imports the converted Debian OSV records with statuses and urgencies', async () => {
    const { advisories, rejected } = await collect(readOsv(path.join(vulndata, 'debian-security-tracker', 'osv')));
    expect(rejected).toEqual([]);
    expect(advisories).toHaveLength(36);
    const coreutils = first(advisories.filter((a) => a.id === 'DEBIAN-CVE-2016-2781'));
    expect(coreutils.aliases).toEqual(['CVE-2016-2781']);
    expect(coreutils.affected).toEqual([
      { ecosystem: 'Debian:12', name: 'coreutils', ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }] }], versions: [], status: 'will_not_fix', severity: 'LOW' },
    ]);
  });

  it('reads the same records from a zip of them as from the folder', async () => {
    const folder = path.join(vulndata, 'ghsa-npm', 'osv');
    const { readdirSync } = await import('node:fs');
    const names = readdirSync(folder).sort();
    const file = write('npm.zip', buildZip(names.map((name) => ({ name, data: readFileSync(path.join(folder, name)) }))));
    const fromZip = await collect(readOsv(file, { source: 'osv:x' }));
    const fromFolder = await collect(readOsv(folder, { source: 'osv:x' }));
    expect(fromZip.rejected).toEqual([]);
    expect(fromZip.advisories).toEqual(fromFolder.advisories);
  });
});
