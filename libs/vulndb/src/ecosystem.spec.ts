import { distroEcosystem, matchablePackage, normalizePackageName, versionSchemeOf } from './ecosystem';
import { osvEcosystem } from './import/ecosystem-spelling';

describe('ecosystems', () => {
  it('names the distribution ecosystem of an installed OS as OSV spells it', () => {
    expect(distroEcosystem({ family: 'debian', version: '12.5' })).toBe('Debian:12');
    expect(distroEcosystem({ family: 'alpine', version: '3.19.1' })).toBe('Alpine:v3.19');
    expect(distroEcosystem({ family: 'ubuntu', version: '22.04' })).toBe('Ubuntu:22.04');
    expect(distroEcosystem({ family: 'rocky', version: '9.3' })).toBe('Rocky Linux:9');
    expect(distroEcosystem({ family: 'alpine', version: 'edge' })).toBeUndefined();
    expect(distroEcosystem({ family: 'gentoo', version: '2.14' })).toBeUndefined();
    expect(distroEcosystem(undefined)).toBeUndefined();
  });

  it("imports OSV's Ubuntu spellings under the name an installed Ubuntu is matched by", () => {
    expect(osvEcosystem('Ubuntu:22.04:LTS')).toBe(distroEcosystem({ family: 'ubuntu', version: '22.04' }));
    expect(osvEcosystem('Ubuntu:23.10')).toBe('Ubuntu:23.10');
    // Pro-only fixes are not in the public archive: kept apart.
    expect(osvEcosystem('Ubuntu:Pro:18.04:LTS')).toBe('Ubuntu:Pro:18.04');
  });

  it('matches Debian by source package and version, Alpine by origin, rpm by binary name, languages by name', () => {
    const debian = { family: 'debian', version: '12' };
    expect(matchablePackage('1', { type: 'deb', name: 'libc6', version: '2.36-9+deb12u3', sourceName: 'glibc', sourceVersion: '2.36-9+deb12u3' }, debian)).toEqual({
      ref: '1',
      ecosystem: 'Debian:12',
      name: 'glibc',
      version: '2.36-9+deb12u3',
    });
    expect(matchablePackage('2', { type: 'apk', name: 'libssl1.1', version: '1.1.1k-r0', sourceName: 'openssl' }, { family: 'alpine', version: '3.13.5' })).toMatchObject({ ecosystem: 'Alpine:v3.13', name: 'openssl' });
    expect(matchablePackage('3', { type: 'rpm', name: 'curl', version: '7.76.1-26.el9', sourceName: 'curl-7.76.1-26.el9.src.rpm' }, { family: 'rocky', version: '9' })).toMatchObject({ ecosystem: 'Rocky Linux:9', name: 'curl' });
    expect(matchablePackage('4', { type: 'pypi', name: 'Flask_Login', version: '0.6.0' }, undefined)).toMatchObject({ ecosystem: 'PyPI', name: 'flask-login' });
    expect(matchablePackage('5', { type: 'deb', name: 'x', version: '1' }, undefined)).toBeUndefined();
    expect(matchablePackage('6', { type: 'conda', name: 'x', version: '1' }, debian)).toBeUndefined();
  });

  it('knows the version ordering of each ecosystem', () => {
    expect(versionSchemeOf('Debian:12')).toBe('dpkg');
    expect(versionSchemeOf('crates.io')).toBe('cargo');
    expect(versionSchemeOf('Hackage')).toBeUndefined();
    expect(normalizePackageName('PyPI', 'Django_REST.framework')).toBe('django-rest-framework');
    expect(normalizePackageName('npm', 'Lodash')).toBe('Lodash');
  });
});
