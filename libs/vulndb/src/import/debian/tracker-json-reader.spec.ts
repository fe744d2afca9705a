import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Advisory, RejectedRecord } from '../../model';
import { isRejected } from '../osv-record';
import { readDebianTrackerJson } from './tracker-json-reader';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'bh-debjson-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function collect(file: string, limits?: { maxRecordBytes: number }) {
  const advisories: Advisory[] = [];
  const rejected: RejectedRecord[] = [];
  for await (const item of readDebianTrackerJson(file, { releases: ['bullseye', 'bookworm'], ...(limits ? { limits } : {}) })) {
    if (isRejected(item)) rejected.push(item);
    else advisories.push(item as Advisory);
  }
  return { advisories, rejected };
}

// Shaped like https://security-tracker.debian.org/tracker/data/json (fields as the tracker writes them).
const tracker = {
  glibc: {
    'CVE-2023-4911': {
      description: "buffer overflow in dynamic loader's processing of the GLIBC_TUNABLES environment variable",
      scope: 'local',
      releases: {
        bookworm: { status: 'resolved', repositories: { bookworm: '2.36-9+deb12u4' }, fixed_version: '2.36-9+deb12u3', urgency: 'not yet assigned' },
        bullseye: { status: 'resolved', repositories: { bullseye: '2.31-13+deb11u7' }, fixed_version: '0', urgency: 'not yet assigned' },
        sid: { status: 'resolved', fixed_version: '2.37-12', urgency: 'not yet assigned' },
      },
    },
    'CVE-2010-4756': { description: 'glob', releases: { bookworm: { status: 'open', repositories: { bookworm: '2.36-9+deb12u4' }, urgency: 'unimportant' } } },
  },
  coreutils: {
    'CVE-2016-2781': {
      description: 'chroot',
      releases: {
        bookworm: { status: 'open', repositories: { bookworm: '9.1-1' }, urgency: 'low', nodsa: 'Minor issue', nodsa_reason: 'ignored' },
        bullseye: { status: 'open', repositories: { bullseye: '8.32-4' }, urgency: 'low', nodsa: 'Minor issue', nodsa_reason: 'postponed' },
      },
    },
  },
  'gcc-11': { 'CVE-2023-4039': { releases: { bookworm: { status: 'open', urgency: 'end-of-life' }, bullseye: { status: 'undetermined', urgency: 'medium' } } } },
  'gcc-12': { 'CVE-2023-4039': { releases: { bookworm: { status: 'open', urgency: 'medium**', nodsa: 'Minor issue', nodsa_reason: '' } } } },
  broken: { 'CVE-2024-1': { releases: { bookworm: { status: 'resolved' } } } },
  wrong: { 'CVE-2024-2': { releases: { bookworm: { status: 7 } } } },
};

describe('Debian tracker JSON', () => {
  it('converts each release verdict and regroups packages by CVE', async () => {
    const file = path.join(dir, 'json');
    writeFileSync(file, JSON.stringify(tracker));
    const { advisories, rejected } = await collect(file);
    expect(rejected).toEqual([
      { where: `${file}#broken`, reason: 'CVE-2024-1.releases.bookworm.fixed_version: missing on a resolved entry' },
      { where: `${file}#wrong`, reason: 'CVE-2024-2.releases.bookworm.status: expected a string' },
    ]);
    const rows = advisories.flatMap((a) => a.affected.map((x) => [a.id, x.ecosystem, x.name, JSON.stringify(x.ranges[0]?.events), x.status ?? '', x.severity ?? '']));
    expect(rows).toEqual([
      // bullseye's fixed_version "0": never affected, omitted.
      ['CVE-2023-4911', 'Debian:12', 'glibc', '[{"introduced":"0"},{"fixed":"2.36-9+deb12u3"}]', '', ''],
      ['CVE-2010-4756', 'Debian:12', 'glibc', '[{"introduced":"0"}]', 'affected', 'LOW'],
      ['CVE-2016-2781', 'Debian:11', 'coreutils', '[{"introduced":"0"}]', 'fix_deferred', 'LOW'],
      ['CVE-2016-2781', 'Debian:12', 'coreutils', '[{"introduced":"0"}]', 'will_not_fix', 'LOW'],
      // One advisory for both gcc packages; bullseye "undetermined" omitted.
      ['CVE-2023-4039', 'Debian:12', 'gcc-11', '[{"introduced":"0"}]', 'end_of_life', ''],
      ['CVE-2023-4039', 'Debian:12', 'gcc-12', '[{"introduced":"0"}]', 'affected', 'MEDIUM'],
    ]);
    expect(advisories.map((a) => a.id)).toEqual(['CVE-2023-4911', 'CVE-2010-4756', 'CVE-2016-2781', 'CVE-2023-4039']);
    expect(advisories[0]).toMatchObject({ source: 'debian-tracker', summary: expect.stringMatching(/^buffer overflow/) });
  });

  it('rejects an oversized package entry and a truncated document, keeping what came before', async () => {
    const file = path.join(dir, 'json');
    const text = JSON.stringify({ glibc: tracker.glibc, huge: { 'CVE-1': { description: 'x'.repeat(5000), releases: {} } }, coreutils: tracker.coreutils });
    writeFileSync(file, text.slice(0, -20));
    const { advisories, rejected } = await collect(file, { maxRecordBytes: 2000 });
    expect(advisories.map((a) => a.id)).toEqual(['CVE-2023-4911', 'CVE-2010-4756']);
    expect(rejected).toEqual([
      { where: `${file}#huge`, reason: expect.stringMatching(/^package entry is 4\.9 KiB, over the 2.0 KiB limit for one record$/) },
      { where: file, reason: expect.stringMatching(/^truncated JSON/) },
    ]);
  });
});
