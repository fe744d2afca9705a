import { dpkgAnalyzer, isValidDebianVersion, osReleaseAnalyzer, packageUrl, parseDpkgStatus, parseOsRelease, purlWithoutQualifier } from './index';

const file = (path: string, content: string) => ({ path, content: Buffer.from(content), layer: 'sha256:l0' });

describe('os-release analyzer', () => {
  const bookworm = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nID=debian\n';

  it('reads etc/os-release before usr/lib/os-release', async () => {
    const result = await osReleaseAnalyzer.analyze([file('usr/lib/os-release', 'ID=ubuntu\nVERSION_ID=22.04\n'), file('etc/os-release', bookworm)], { artifactDigest: '' });
    expect(result.os).toEqual({ family: 'debian', version: '12', name: 'Debian GNU/Linux 12 (bookworm)' });
  });

  it('falls back to etc/debian_version for sid and to alpine-release without os-release', async () => {
    expect((await osReleaseAnalyzer.analyze([file('etc/os-release', 'ID=debian\n'), file('etc/debian_version', 'trixie/sid\n')], { artifactDigest: '' })).os).toEqual({ family: 'debian', version: 'trixie/sid' });
    expect((await osReleaseAnalyzer.analyze([file('etc/debian_version', '12.5\n')], { artifactDigest: '' })).os).toEqual({ family: 'debian', version: '12' });
    expect((await osReleaseAnalyzer.analyze([file('etc/alpine-release', '3.19.1\n')], { artifactDigest: '' })).os).toEqual({ family: 'alpine', version: '3.19.1' });
  });

  it('parses quoting and escapes', () => {
    expect(parseOsRelease('# c\nA="x \\"y\\""\nB=\'z\'\nC=plain\n')).toEqual({ A: 'x "y"', B: 'z', C: 'plain' });
  });
});

describe('dpkg analyzer', () => {
  it('handles distroless status.d files, Source with version, and skips non-installed packages', async () => {
    const status = [
      'Package: libgcc-s1\nStatus: install ok installed\nArchitecture: amd64\nSource: gcc-12 (12.2.0-14)\nVersion: 1:12.2.0-14+deb12u1\n',
      'Package: removed\nStatus: deinstall ok config-files\nVersion: 1.0-1\n',
    ].join('\n');
    const result = await dpkgAnalyzer.analyze(
      [file('var/lib/dpkg/status', status), file('var/lib/dpkg/status.d/base', 'Package: base-files\nVersion: 12.4+deb12u5\nArchitecture: amd64\n')],
      { artifactDigest: '', os: { family: 'debian', version: '12' } },
    );
    expect(result.packages?.map((p) => [p.name, p.version, p.sourceName, p.sourceVersion, p.purl])).toEqual([
      ['libgcc-s1', '1:12.2.0-14+deb12u1', 'gcc-12', '12.2.0-14', 'pkg:deb/debian/libgcc-s1@1:12.2.0-14%2Bdeb12u1?arch=amd64&distro=debian-12'],
      ['base-files', '12.4+deb12u5', 'base-files', '12.4+deb12u5', 'pkg:deb/debian/base-files@12.4%2Bdeb12u5?arch=amd64&distro=debian-12'],
    ]);
    expect(dpkgAnalyzer.wants('var/lib/dpkg/status.d/base.md5sums')).toBe(false);
  });

  it('validates versions per deb-version(7)', () => {
    expect(isValidDebianVersion('1:5.1.1-12ubuntu1')).toBe(true);
    expect(isValidDebianVersion('5:20.10.7~3-0~debian-buster')).toBe(true);
    expect(isValidDebianVersion('1:5.#')).toBe(false);
    expect(isValidDebianVersion('a1.0')).toBe(false);
    expect(parseDpkgStatus('Package: x\nVersion: 1.0\n\nPackage: y\n')).toHaveLength(1);
  });
});

describe('packageUrl', () => {
  it('encodes per purl-spec, leaving colons alone and sorting qualifiers', () => {
    expect(packageUrl('deb', 'debian', 'bsdutils', '1:2.38.1-5+deb12u3', { distro: 'debian-12', arch: 'amd64' })).toBe(
      'pkg:deb/debian/bsdutils@1:2.38.1-5%2Bdeb12u3?arch=amd64&distro=debian-12',
    );
    expect(packageUrl('apk', 'alpine', 'a b', undefined, { arch: undefined })).toBe('pkg:apk/alpine/a%20b');
    // `+` is percent-encoded in every component (purl-spec), qualifier keys are lower-cased.
    expect(packageUrl('deb', 'debian', 'libstdc++6', '12.2.0-14+deb12u1', { Arch: 'amd64' })).toBe('pkg:deb/debian/libstdc%2B%2B6@12.2.0-14%2Bdeb12u1?arch=amd64');
  });

  it('refuses what is not a package URL, naming the problem', () => {
    expect(() => packageUrl('', 'debian', 'bash', '5.2')).toThrow(/type/);
    expect(() => packageUrl('deb', 'debian', '', '5.2')).toThrow(/name/);
  });

  it('leaves one qualifier out of a purl, and keeps an unparsable purl whole', () => {
    expect(purlWithoutQualifier('pkg:deb/debian/bsdutils@1:2.38.1-5%2Bdeb12u3?arch=amd64&distro=debian-12', 'distro')).toBe('pkg:deb/debian/bsdutils@1:2.38.1-5%2Bdeb12u3?arch=amd64');
    expect(purlWithoutQualifier('pkg:apk/alpine/musl@1.2.4-r2?distro=alpine-3.18.4', 'distro')).toBe('pkg:apk/alpine/musl@1.2.4-r2');
    expect(purlWithoutQualifier('not a purl', 'distro')).toBe('not a purl');
  });
});
