import { compare as libraryCompare, clean } from '@renovatebot/pep440';
import { describeWithShared } from '@bulkhead/testing';
import { compareVersions, isValidVersion } from './ordering';
import { ascendingPairs, readOrdered, readVectors } from './vectors.testing';

const cmp = (a: string, b: string): number => compareVersions('pep440', a, b);

describeWithShared('PEP 440 versions: go-pep440-version vectors', (shared) => {
  const ordered = readOrdered(shared, 'go-pep440-version', 'versions.ordered.json');
  it.each(ascendingPairs(ordered))('versions.ordered.json: %s < %s', (lower, higher) => {
    expect(cmp(lower, higher)).toBe(-1);
    expect(cmp(higher, lower)).toBe(1);
    expect(cmp(lower, lower)).toBe(0);
    // the parse-once key orders exactly as the library's own compare
    expect(Math.sign(libraryCompare(lower, higher))).toBe(-1);
  });
  it.each(['french toast', '1.0+a+', '1.0++', '1.0+_foobar', '1.0+foo&asd', '1.0+1+1'])('invalid example from the same list: %s', (version) => {
    expect(isValidVersion('pep440', version)).toBe(false);
  });
  it.each(readVectors<{ version: string; want: string }>(shared, 'go-pep440-version', 'TestVersion_String.tests.json').cases)('TestVersion_String $version → $want', ({ version, want }) => {
    expect(clean(version)).toBe(want);
    expect(cmp(version, want)).toBe(0);
  });
});

describe('PEP 440 versions', () => {
  it('orders dev, pre, post and local segments', () => {
    expect(cmp('1.0.dev1', '1.0a1')).toBe(-1);
    expect(cmp('1.0', '1.0.post1')).toBe(-1);
    expect(cmp('1.0+local.1', '1.0')).toBe(1);
    expect(cmp('1!0.1', '2.0')).toBe(1);
    expect(cmp('2.0.0', '2')).toBe(0);
  });
  it('names the invalid version', () => {
    expect(() => cmp('not a version', '1')).toThrow('invalid pep440 version "not a version"');
  });
});
