import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describeWithShared } from '@bulkhead/testing';
import { assessImageConfig, parseImageConfig, splitByCommands } from './image-config';
import { assessImageFilesystem, modeString, type ImageFilesystemView, type ImageFsEntry } from './image-filesystem';
import { checkImageReference } from './image-scan';

const codes = (list: { code: string; level?: string }[]): string[] => list.map((a) => (a.level === 'SKIP' ? `${a.code}:skip` : a.code)).sort();

// Dockle's own fixtures and the expectations from its manifest_test.go / scanner_test.go
// (see ../shared/peers/dockle/SOURCE.md).
describeWithShared('Dockle fixtures', (shared) => {
  const manifestDir = path.join(shared, 'peers/dockle/pkg/assessor/manifest/testdata');
  const expected: Record<string, string[]> = {
    'root_default.json': ['CIS-DI-0001', 'CIS-DI-0006'],
    'apk_cache.json': ['CIS-DI-0001', 'CIS-DI-0006', 'CIS-DI-0009', 'DKL-DI-0004'],
    'apt_update_upgrade.json': ['CIS-DI-0001', 'CIS-DI-0006', 'DKL-DI-0005'],
    'add_with_arg_statement.json': ['CIS-DI-0001', 'CIS-DI-0006'],
    'multi_add.json': ['CIS-DI-0001', 'CIS-DI-0006', 'CIS-DI-0009', 'CIS-DI-0009'],
  };
  it.each(Object.entries(expected))('%s gives %j', (file, codesExpected) => {
    const config = parseImageConfig(readFileSync(path.join(manifestDir, file), 'utf8'), file);
    expect(codes(assessImageConfig(config))).toEqual(codesExpected);
  });

  it('the first ADD (the base root file system) is exempt from CIS-DI-0009', () => {
    const config = parseImageConfig(readFileSync(path.join(manifestDir, 'apk_cache.json'), 'utf8'), 'apk_cache.json');
    const adds = assessImageConfig(config).filter((a) => a.code === 'CIS-DI-0009');
    expect(adds.map((a) => a.desc)).toEqual([expect.stringContaining('in /app/credential.json')]);
  });

  it('scratch.tar (docker save of Dockerfile.scratch) gives the expected findings', async () => {
    const report = await checkImageReference(`docker-archive:${path.join(shared, 'peers/dockle/pkg/scanner/testdata/scratch.tar')}`, { contentTrust: false });
    const notPassed = report.results.filter((r) => r.status !== 'PASS');
    expect(notPassed.map((r) => (r.status === 'SKIP' ? `${r.checkId}:skip` : r.checkId)).sort()).toEqual([
      'CIS-DI-0005',
      'CIS-DI-0006',
      'CIS-DI-0010',
      'DKL-LI-0001:skip',
      'DKL-LI-0002:skip',
      'DKL-LI-0002:skip',
    ]);
    expect(notPassed.find((r) => r.checkId === 'CIS-DI-0010')).toMatchObject({ status: 'FAIL', severity: 'HIGH', data: { filename: 'credentials.json' } });
    expect(notPassed.find((r) => r.checkId === 'CIS-DI-0006')).toMatchObject({ status: 'INFO' });
    expect(report.results.find((r) => r.checkId === 'CIS-DI-0001')).toMatchObject({ status: 'PASS' }); // USER scratch
  });
});

describe('image config checks', () => {
  it('finds secrets in ENV/ARG history, sudo, dist-upgrade, apt update alone, sensitive volumes and latest', () => {
    const assessments = assessImageConfig(
      {
        config: { User: 'app', Healthcheck: { Test: ['CMD', 'true'] }, Volumes: { '/proc': {}, '/data': {} } },
        history: [
          { created_by: '/bin/sh -c #(nop) ADD file:abc in / ' },
          { created_by: '/bin/sh -c #(nop)  ENV MYSQL_PASSWD=hunter2' },
          { created_by: '/bin/sh -c #(nop)  ENV GPG_KEY=ABCDEF' },
          { created_by: '/bin/sh -c apt-get update' },
          { created_by: '/bin/sh -c apt-get update && apt-get dist-upgrade -y && rm -rf /var/lib/apt/lists/*' },
          { created_by: '/bin/sh -c sudo make install' },
          { created_by: '|1 API_TOKEN=xyz /bin/sh -c make' },
        ],
      },
      { reference: 'registry.example/app:latest' },
    );
    // `dist-upgrade` does not count as the install/upgrade that must follow `apt-get update` (Dockle).
    expect(codes(assessments)).toEqual(['CIS-DI-0007', 'CIS-DI-0007', 'CIS-DI-0010', 'CIS-DI-0010', 'DKL-DI-0001', 'DKL-DI-0002', 'DKL-DI-0003', 'DKL-DI-0005', 'DKL-DI-0006']);
    const secret = assessments.find((a) => a.code === 'CIS-DI-0010');
    expect(secret?.desc).toContain('MYSQL_PASSWD');
    expect(secret?.desc).not.toContain('hunter2');
  });

  it('tokenizes like Dockle (commands on &&, words on spaces)', () => {
    expect(splitByCommands('apt-get update &&  apt-get install -y  git')).toEqual([
      ['apt-get', 'update'],
      ['apt-get', 'install', '-y', 'git'],
    ]);
  });

  it('names a bad config file', () => {
    expect(() => parseImageConfig('{', 'cfg.json')).toThrow(/^cfg.json: not JSON/);
  });
});

describe('image file-system checks', () => {
  const view = (entries: (ImageFsEntry & { content?: string })[]): ImageFilesystemView => ({
    entries,
    read: async (paths) => new Map(entries.filter((e) => e.content !== undefined && paths.includes(e.path)).map((e) => [e.path, Buffer.from(e.content ?? '')])),
  });

  it('finds setuid/setgid files, credentials, empty passwords, duplicate ids and leftovers', async () => {
    const assessments = await assessImageFilesystem(
      view([
        { path: 'bin/su', mode: 0o4755, type: 'file' },
        { path: 'app/gid.txt', mode: 0o2644, type: 'file' },
        { path: 'app/credentials.json', mode: 0o644, type: 'file' },
        { path: 'root/.npmrc', mode: 0o600, type: 'file' },
        { path: 'root/.ssh/id_rsa', mode: 0o600, type: 'file' },
        { path: 'app/vpn.ovpn', mode: 0o600, type: 'file' },
        { path: 'app/.git/config', mode: 0o644, type: 'file' },
        { path: 'app/.git/HEAD', mode: 0o644, type: 'file' },
        { path: 'app/node_modules/x/.git/HEAD', mode: 0o644, type: 'file' },
        { path: 'app/Dockerfile', mode: 0o644, type: 'file' },
        { path: 'etc/shadow', mode: 0o640, type: 'file', content: 'root:*:19000::::::\nnopasswd::19000:0:99999:7:::\n' },
        { path: 'etc/passwd', mode: 0o644, type: 'file', content: 'root:x:0:0::/root:/bin/sh\ntoor:x:0:0::/root:/bin/sh\n' },
        { path: 'etc/group', mode: 0o644, type: 'file', content: 'root:x:0:\nwheel:x:10:\n' },
      ]),
    );
    expect(assessments.map((a) => `${a.code} ${a.filename}`).sort()).toEqual([
      'CIS-DI-0008 app/gid.txt',
      'CIS-DI-0008 bin/su',
      'CIS-DI-0010 app/credentials.json',
      'CIS-DI-0010 app/vpn.ovpn',
      'CIS-DI-0010 root/.npmrc',
      'CIS-DI-0010 root/.ssh/id_rsa',
      'DKL-LI-0001 etc/shadow',
      'DKL-LI-0002 etc/passwd',
      'DKL-LI-0003 app/.git',
      'DKL-LI-0003 app/Dockerfile',
    ]);
    expect(assessments.find((a) => a.code === 'DKL-LI-0001')?.desc).toBe('No password user found! username : nopasswd');
    expect(assessments.find((a) => a.filename === 'bin/su')?.desc).toBe('setuid file: urwxr-xr-x bin/su');
  });

  it('prints modes like Go', () => {
    expect(modeString(0o2755)).toBe('grwxr-xr-x');
    expect(modeString(0o644)).toBe('-rw-r--r--');
  });
});
