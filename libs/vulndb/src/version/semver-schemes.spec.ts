import { describeWithShared } from '@bulkhead/testing';
import { compareVersions, isValidVersion } from './ordering';
import { readVectors } from './vectors.testing';

describeWithShared('npm versions: go-npm-version vectors', (shared) => {
  it.each(readVectors<{ name: string; versions: string[]; want: string[] }>(shared, 'go-npm-version', 'pkg', 'TestCollection.tests.json').cases)('TestCollection $name', ({ versions, want }) => {
    expect([...versions].sort((a, b) => compareVersions('npm', a, b))).toEqual(want);
  });
});

describe('SemVer schemes', () => {
  it('npm: node-semver order, build metadata ignored', () => {
    expect(compareVersions('npm', '1.0.0-alpha', '1.0.0')).toBe(-1);
    expect(compareVersions('npm', '1.0.0-alpha.10', '1.0.0-alpha.9')).toBe(1);
    expect(compareVersions('npm', '1.0.0+build1', '1.0.0+build2')).toBe(0);
    expect(isValidVersion('npm', '1.2')).toBe(false);
  });
  it('go: v prefix optional, pseudo-versions by timestamp, +incompatible ignored', () => {
    expect(compareVersions('go', 'v1.2.3', '1.2.3')).toBe(0);
    expect(compareVersions('go', 'v0.0.0-20191109021931-daa7c04131f5', 'v0.0.0-20200101000000-aaaaaaaaaaaa')).toBe(-1);
    expect(compareVersions('go', 'v0.0.0-20191109021931-daa7c04131f5', 'v0.1.0')).toBe(-1);
    expect(compareVersions('go', 'v1.2.4-0.20191109021931-daa7c04131f5', 'v1.2.3')).toBe(1);
    expect(compareVersions('go', 'v2.0.0+incompatible', '2.0.0')).toBe(0);
    expect(compareVersions('go', 'v1.2', 'v1.2.0')).toBe(0);
    expect(() => compareVersions('go', 'master', 'v1.0.0')).toThrow('invalid go version "master"');
  });
  it('cargo: strict SemVer', () => {
    expect(compareVersions('cargo', '0.10.0', '0.9.9')).toBe(1);
    expect(isValidVersion('cargo', '1.0')).toBe(false);
  });
});

describe('RubyGems versions (Gem::Version)', () => {
  const cmp = (a: string, b: string): number => compareVersions('rubygems', a, b);
  it('orders as Gem::Version#<=>', () => {
    expect(cmp('1.0.0', '1')).toBe(0);
    expect(cmp('1.0.a', '1.0')).toBe(-1);
    expect(cmp('1.0.0.pre', '1.0.0')).toBe(-1);
    expect(cmp('1.0.0-rc1', '1.0.0.rc1')).toBe(-1); // "-" reads as ".pre.": [1,'pre','rc',1] vs [1,'rc',1]
    expect(cmp('1.9.3', '1.10')).toBe(-1);
    expect(cmp('5.2.4.3', '5.2.4.beta')).toBe(1);
    expect(cmp('1.a', '1.b')).toBe(-1);
    expect(isValidVersion('rubygems', '1.0 beta')).toBe(false);
  });
});

describe('Composer versions', () => {
  const cmp = (a: string, b: string): number => compareVersions('composer', a, b);
  it('normalises as Composer and orders as version_compare', () => {
    expect(cmp('v1.2', '1.2.0.0')).toBe(0);
    expect(cmp('1.0.0-beta2', '1.0.0-RC1')).toBe(-1);
    expect(cmp('1.0.0-dev', '1.0.0-alpha1')).toBe(-1);
    expect(cmp('1.0.0', '1.0.0-patch1')).toBe(-1);
    expect(cmp('1.0.0-RC1', '1.0.0')).toBe(-1);
    expect(cmp('2.10.0', '2.9.9')).toBe(1);
    expect(() => cmp('dev-main', '1.0')).toThrow('invalid composer version "dev-main"');
  });
});
