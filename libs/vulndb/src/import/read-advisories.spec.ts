import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describeWithShared } from '@bulkhead/testing';
import type { Advisory } from '../model';
import { isRejected } from './osv-record';
import { detectAdvisoryFormat, planAdvisoryImport, readAdvisories } from './read-advisories';
import { buildZip } from './testing/zip-writer';

// Some cases write and read tens of MB; leave room for a loaded CI machine.
jest.setTimeout(30_000);

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'bh-read-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, content: string | Buffer): string {
  const file = path.join(dir, name);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, content);
  return file;
}

const osv = JSON.stringify({ id: 'GHSA-1', affected: [{ package: { ecosystem: 'npm', name: 'x' }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }] }] }] });

describe('detectAdvisoryFormat', () => {
  it.each([
    ['record.json', osv, 'osv-json'],
    ['record.txt', osv, 'osv-json'],
    ['all.jsonl', `${osv}\n${osv}\n`, 'osv-jsonl'],
    ['list', 'CVE-2024-0001 (x)\n\t- foo 1.0\n', 'debian-cve-list'],
    ['list.subset', 'CVE-2024-XXXX [x]\n', 'debian-cve-list'],
    ['dsa', '[01 Jan 2024] DSA-1-1 foo - security update\n', 'debian-advisory-list'],
    ['dla', '[01 Jan 2024] DLA-1-1 foo - security update\n', 'debian-advisory-list'],
    ['json', '{"glibc": {"CVE-2023-4911": {"releases": {}}}}', 'debian-tracker-json'],
    ['main.json', '{\n "distroversion": "v3.10",\n "reponame": "main",\n "packages": []\n}', 'alpine-secdb'],
  ])('%s', async (name, content, format) => {
    expect(await detectAdvisoryFormat(write(name, content))).toBe(format);
  });

  it('tells zips by their signature and folders by what they hold', async () => {
    expect(await detectAdvisoryFormat(write('feed.bin', buildZip([{ name: 'a.json', data: osv }])))).toBe('osv-zip');
    write('osv/a.json', osv);
    expect(await detectAdvisoryFormat(path.join(dir, 'osv'))).toBe('osv-directory');
    write('checkout/data/CVE/list', 'CVE-2024-0001\n');
    expect(await detectAdvisoryFormat(path.join(dir, 'checkout'))).toBe('debian-tracker-directory');
    expect(await detectAdvisoryFormat(path.join(dir, 'checkout', 'data'))).toBe('debian-tracker-directory');
  });

  it('names the path and its first line when nothing fits', async () => {
    await expect(detectAdvisoryFormat(write('notes.txt', 'hello world\n'))).rejects.toThrow(/notes\.txt: not a recognised advisory format .* first line: "hello world"/);
    await expect(detectAdvisoryFormat(path.join(dir, 'missing'))).rejects.toThrow(/missing: cannot read \(ENOENT\)/);
  });
});

describe('readAdvisories', () => {
  it('refuses the whole import before reading anything when one input is unknown', async () => {
    const good = write('a.json', osv);
    const bad = write('b.txt', 'nope');
    await expect(planAdvisoryImport([good, bad])).rejects.toThrow(/b\.txt: not a recognised advisory format/);
  });

  it('reads Debian CVE and DSA lists given separately as one conversion', async () => {
    const cve = write('list', 'CVE-2024-0004\n\t- baz 2.0-1\n\t[bookworm] - baz <no-dsa> (Minor issue)\n');
    const dsa = write('dsa', '[01 Jan 2024] DSA-9-1 baz - security update\n\t{CVE-2024-0004}\n\t[bookworm] - baz 1.0-1+deb12u1\n');
    const plan = await planAdvisoryImport([write('a.json', osv), dsa, cve], { debianReleases: ['bookworm'] });
    expect(plan.map((g) => [g.format, g.source])).toEqual([
      ['debian-cve-list', 'debian-tracker'],
      ['osv-json', `osv:${path.join(dir, 'a.json')}`],
    ]);
    const items: Advisory[] = [];
    for await (const item of readAdvisories([dsa, cve], { debianReleases: ['bookworm'] })) if (!isRejected(item)) items.push(item as Advisory);
    expect(items.map((a) => [a.id, a.aliases, a.affected[0]?.ranges[0]?.events])).toEqual([['CVE-2024-0004', ['DSA-9-1'], [{ introduced: '0' }, { fixed: '1.0-1+deb12u1' }]]]);
  });
});

describeWithShared('readAdvisories over ../shared/vulndata', (shared) => {
  it('imports every shared input by detection alone', async () => {
    const data = path.join(shared, 'vulndata');
    // The tracker subset's files are named list.subset: lay them out as a checkout would.
    cpSync(path.join(data, 'debian-security-tracker', 'data', 'CVE', 'list.subset'), path.join(dir, 'data', 'CVE', 'list'));
    cpSync(path.join(data, 'debian-security-tracker', 'data', 'DSA', 'list.subset'), path.join(dir, 'data', 'DSA', 'list'));
    const inputs = [
      path.join(data, 'ghsa-npm', 'npm-subset.osv.jsonl'),
      path.join(data, 'pypa-advisory-database', 'vulns'),
      path.join(data, 'debian-security-tracker', 'osv'),
      path.join(data, 'alpine-secdb', 'v3.10', 'main.json'),
      dir,
    ];
    const plan = await planAdvisoryImport(inputs, { debianReleases: ['bookworm'] });
    expect(plan.map((g) => g.format)).toEqual(['debian-cve-list', 'osv-jsonl', 'osv-directory', 'osv-directory', 'alpine-secdb']);
    // Each group's import label is the source its records carry.
    expect(plan.map((g) => g.source)).toEqual(['debian-tracker', `osv:${inputs[0]}`, `osv:${inputs[1]}`, `osv:${inputs[2]}`, 'alpine-secdb:v3.10/main']);
    const counts = new Map<string, number>();
    let rejected = 0;
    for (const group of plan) {
      for await (const item of group.read()) {
        if (isRejected(item)) rejected++;
        else counts.set(group.format, (counts.get(group.format) ?? 0) + 1);
      }
    }
    expect(rejected).toBe(0);
    // 42 (package, CVE) entries in trivy-db's bucket = 41 CVEs (CVE-2023-4039: gcc-11 and gcc-12).
    expect(Object.fromEntries(counts)).toEqual({ 'debian-cve-list': 41, 'osv-jsonl': 21, 'osv-directory': 251 + 36, 'alpine-secdb': expect.any(Number) });
  }, 30_000);
});
