import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describeWithShared } from '@bulkhead/testing';
import type { Advisory, RejectedRecord } from '../../model';
import { isRejected } from '../osv-record';
import { readAlpineSecdb, secfixId } from './secdb-reader';

async function collect(file: string) {
  const advisories: Advisory[] = [];
  const rejected: RejectedRecord[] = [];
  for await (const item of readAlpineSecdb(file)) {
    if (isRejected(item)) rejected.push(item);
    else advisories.push(item as Advisory);
  }
  return { advisories, rejected };
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'bh-secdb-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const write = (value: unknown): string => {
  const file = path.join(dir, 'main.json');
  writeFileSync(file, typeof value === 'string' ? value : JSON.stringify(value));
  return file;
};

describe('Alpine secdb', () => {
  it.each([
    ['CVE-2019-14697', { id: 'CVE-2019-14697', aliases: [] }],
    ['CVE_2019-2426', { id: 'CVE-2019-2426', aliases: [] }],
    ['CVE-2017-17434-1', { id: 'CVE-2017-17434', aliases: [] }],
    ['CVE-2018-14461 (LDP)', { id: 'CVE-2018-14461', aliases: [] }],
    ['CVE-2017-12122 TALOS-2017-0488', { id: 'CVE-2017-12122', aliases: ['TALOS-2017-0488'] }],
    ['XSA-248', { id: 'XSA-248', aliases: [] }],
    ['(no id here)', undefined],
    ['', undefined],
  ])('reads the id of %j', (text, expected) => {
    expect(secfixId(text)).toEqual(expected);
  });

  it('converts secfixes into one advisory per id, newest fix per package, skipping "0"', async () => {
    const file = write({
      distroversion: 'v3.10',
      reponame: 'main',
      packages: [
        { pkg: { name: 'busybox', secfixes: { '1.30.1-r2': ['CVE-2019-5747'], '1.29.3-r10': ['CVE-2019-5747', 'CVE-2018-20679'] } } },
        { pkg: { name: 'db', secfixes: { '0': ['CVE-2016-0682'] } } },
        { pkg: { name: 'openssl', secfixes: { '1.1.1d-r0': ['CVE-2019-1547'] } } },
        { pkg: { name: 'libressl', secfixes: { '2.7.5-r0': ['CVE-2019-1547'] } } },
        { pkg: { name: 'heimdal', secfixes: { '7.4.0-r0': '' } } },
        { pkg: { name: 'nofixes' } },
        { pkg: { name: 'bad', secfixes: { 'not a version!': ['CVE-2020-1'], '1.0-r1': ['CVE-2020-3'] } } },
        { pkg: { name: 'worse', secfixes: { '1.0-r0': 'CVE-2020-2' } } },
        { nope: true },
      ],
    });
    const { advisories, rejected } = await collect(file);
    expect(rejected).toEqual([
      { where: `${file}#packages[6] (bad)`, reason: 'secfixes: "not a version!" is not an apk version (1 id(s) skipped)' },
      { where: `${file}#packages[7] (worse)`, reason: 'secfixes["1.0-r0"]: expected a list of ids' },
      { where: `${file}#packages[8]`, reason: 'pkg: expected an object' },
    ]);
    const rows = advisories.flatMap((a) => a.affected.map((x) => [a.id, a.source, x.ecosystem, x.name, JSON.stringify(x.ranges)]));
    const range = (fixed: string) => JSON.stringify([{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed }] }]);
    expect(rows).toEqual([
      ['CVE-2019-5747', 'alpine-secdb:v3.10/main', 'Alpine:v3.10', 'busybox', range('1.30.1-r2')],
      ['CVE-2018-20679', 'alpine-secdb:v3.10/main', 'Alpine:v3.10', 'busybox', range('1.29.3-r10')],
      ['CVE-2019-1547', 'alpine-secdb:v3.10/main', 'Alpine:v3.10', 'openssl', range('1.1.1d-r0')],
      ['CVE-2019-1547', 'alpine-secdb:v3.10/main', 'Alpine:v3.10', 'libressl', range('2.7.5-r0')],
      // The package's valid versions still import.
      ['CVE-2020-3', 'alpine-secdb:v3.10/main', 'Alpine:v3.10', 'bad', range('1.0-r1')],
    ]);
  });

  it.each([
    ['not JSON', '{', /^invalid JSON/],
    ['no release', { reponame: 'main', packages: [] }, /^distroversion: expected a release like "v3\.19", got undefined$/],
    ['packages not a list', { distroversion: 'v3.10', packages: {} }, /^packages: expected an array$/],
  ])('rejects a document with %s', async (_name, value, reason) => {
    const file = write(value);
    const { advisories, rejected } = await collect(file);
    expect(advisories).toEqual([]);
    expect(rejected).toEqual([{ where: file, reason: expect.stringMatching(reason) }]);
  });
});

describeWithShared('Alpine secdb in ../shared/vulndata', (shared) => {
  const base = path.join(shared, 'vulndata', 'alpine-secdb');

  it('converts every file; v3.10/main has musl 1.1.22-r3 for CVE-2019-14697 (the alpine-310 golden)', async () => {
    let entries = 0;
    const rejections: string[] = [];
    for (const release of readdirSync(base).filter((name) => name.startsWith('v'))) {
      for (const repo of ['main', 'community']) {
        const { advisories, rejected } = await collect(path.join(base, release, `${repo}.json`));
        for (const r of rejected) rejections.push(`${path.relative(base, r.where).replace(/#packages\[\d+\]/, '')}: ${r.reason}`);
        expect(new Set(advisories.map((a) => a.source))).toEqual(new Set(advisories.length ? [`alpine-secdb:${release}/${repo}`] : []));
        for (const advisory of advisories) entries += advisory.affected.length;
      }
    }
    // Only versions apk cannot order (no `-r` before the release number, or a stray `-N`) are
    // rejected; their ids are skipped and reported while the rest of each package imports.
    expect(rejections.sort()).toEqual(EXPECTED_REJECTIONS);
    // Distinct (file, CVE, package) pairs, counted independently with a plain CVE regex: 11,771
    // (of the 12,028 (version, id) pairs SOURCE.md counts: 150 ids listed under two versions of one
    // package and the "0" entries account for most of the rest), less the 15 ids of bad versions,
    // plus the non-CVE ids (XSA-…) we keep.
    expect(entries).toBeGreaterThanOrEqual(11771 - 15);
    const { advisories } = await collect(path.join(base, 'v3.10', 'main.json'));
    expect(advisories.find((a) => a.id === 'CVE-2019-14697')?.affected).toEqual([
      { ecosystem: 'Alpine:v3.10', name: 'musl', ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '1.1.22-r3' }] }], versions: [] },
    ]);
  }, 30_000);
});

/** Every rejection in the shared secdb files: versions with a typo apk cannot order. */
const EXPECTED_REJECTIONS: string[] = [
  'v3.11/main.json (python2): secfixes: "2.7.16-33" is not an apk version (2 id(s) skipped)',
  'v3.11/main.json (xen): secfixes: "4.10-1-r1" is not an apk version (3 id(s) skipped)',
  'v3.4/main.json (icu): secfixes: "57-1-r2" is not an apk version (1 id(s) skipped)',
  'v3.6/main.json (py-django): secfixes: "1.11-20-r0" is not an apk version (1 id(s) skipped)',
  'v3.7/main.json (py-django): secfixes: "1.11-20-r0" is not an apk version (1 id(s) skipped)',
  'v3.8/main.json (py-django): secfixes: "1.11-20-r0" is not an apk version (1 id(s) skipped)',
  'v3.8/main.json (xen): secfixes: "4.10-1-r1" is not an apk version (3 id(s) skipped)',
  'v3.9/main.json (xen): secfixes: "4.10-1-r1" is not an apk version (3 id(s) skipped)',
];
