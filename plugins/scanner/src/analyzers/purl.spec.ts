import { packageUrl, purlWithoutQualifier } from './purl';

describe('packageUrl', () => {
  it('percent-encodes + in versions, as the purl spec and Trivy do', () => {
    expect(packageUrl('deb', 'debian', 'libc6', '2.36-9+deb12u4', { arch: 'amd64', distro: 'debian-12.4' })).toBe('pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12.4');
  });

  it('writes a Go version that starts with "v" but is not semver as it is (a toolchain build such as go1.25-20250209-RC00)', () => {
    // packageurl-js 2.0.1 throws "throws is not defined" for this version: a scan of a host with
    // such a Go binary lost every Go package of the analyzer.
    expect(packageUrl('golang', undefined, 'stdlib', 'v1.25-20250209-RC00')).toBe('pkg:golang/stdlib@v1.25-20250209-RC00');
    expect(packageUrl('golang', 'github.com/spf13', 'cobra', 'v1.8.0+incompatible')).toBe('pkg:golang/github.com/spf13/cobra@v1.8.0%2Bincompatible');
    expect(packageUrl('golang', 'golang.org/x', 'net', undefined)).toBe('pkg:golang/golang.org/x/net');
  });

  it('drops one qualifier and keeps the rest', () => {
    expect(purlWithoutQualifier('pkg:deb/debian/libc6@2.36?arch=amd64&distro=debian-12.4', 'distro')).toBe('pkg:deb/debian/libc6@2.36?arch=amd64');
  });
});
