import { describeWithShared } from '@bulkhead/testing';
import { compareDpkgText, dpkgCharOrder, formatDpkgVersion, parseDpkgVersion, splitRuns } from './dpkg';
import { InvalidVersionError } from './errors';
import { compareVersions, isValidVersion } from './ordering';
import { readVectors } from './vectors.testing';

/** go-deb-version's Version struct as the vectors spell it: positional [epoch, upstream, revision] or named fields. */
type GoDebVersion = { $positional: [number, string, string] } | { epoch?: number; upstreamVersion?: string; debianRevision?: string };

function fromGo(v: GoDebVersion): string {
  if ('$positional' in v) return formatDpkgVersion({ epoch: v.$positional[0], upstream: v.$positional[1], revision: v.$positional[2] });
  return formatDpkgVersion({ epoch: v.epoch ?? 0, upstream: v.upstreamVersion ?? '', revision: v.debianRevision ?? '' });
}

const cmp = (a: string, b: string): number => compareVersions('dpkg', a, b);

describeWithShared('dpkg versions: go-deb-version vectors', (shared) => {
  const file = <T>(name: string): T[] => readVectors<T>(shared, 'go-deb-version', name).cases;

  it.each(file<{ v1: string; v2: string; expected: boolean }>('TestVersion.cases.json'))('TestVersion $v1 < $v2 is $expected', ({ v1, v2, expected }) => {
    expect(cmp(v1, v2) < 0).toBe(expected);
  });
  it.each(file<{ v1: GoDebVersion; v2: GoDebVersion; expected: boolean }>('TestLessThan.cases.json'))('TestLessThan %#', ({ v1, v2, expected }) => {
    expect(cmp(fromGo(v1), fromGo(v2)) < 0).toBe(expected);
  });
  it.each(file<{ v1: GoDebVersion; v2: GoDebVersion; expected: boolean }>('TestGreaterThan.cases.json'))('TestGreaterThan %#', ({ v1, v2, expected }) => {
    expect(cmp(fromGo(v1), fromGo(v2)) > 0).toBe(expected);
  });
  it.each(file<{ v1: GoDebVersion; v2: GoDebVersion; expected: boolean }>('TestEqual.cases.json'))('TestEqual %#', ({ v1, v2, expected }) => {
    expect(cmp(fromGo(v1), fromGo(v2)) === 0).toBe(expected);
  });
  // TestCompare compares bare upstream / revision strings: the same ordering as whole versions.
  it.each(file<{ v1: string; v2: string; negative: boolean }>('TestCompare.cases.json'))('TestCompare $v1 vs $v2', ({ v1, v2, negative }) => {
    expect(cmp(v1, v2) < 0).toBe(negative);
  });
  it.each(file<{ s1: string; s2: string; negative: boolean }>('TestCompareString.cases.json'))('TestCompareString "$s1" vs "$s2"', ({ s1, s2, negative }) => {
    expect(compareDpkgText(s1, s2) < 0).toBe(negative);
  });
  it.each(file<{ r: string; expected: number }>('TestOrder.cases.json'))('TestOrder %#', ({ r, expected }) => {
    expect(dpkgCharOrder(r.charCodeAt(0))).toBe(expected);
  });
  it.each(file<{ version: string; expected: boolean }>('TestValid.cases.json'))('TestValid $version', ({ version, expected }) => {
    expect(isValidVersion('dpkg', version)).toBe(expected);
  });
  it.each(file<{ version: string; expected: GoDebVersion; err: boolean }>('TestNewVersion.cases.json'))('TestNewVersion $version', ({ version, expected, err }) => {
    if (err) {
      expect(() => parseDpkgVersion(version)).toThrow(InvalidVersionError);
      return;
    }
    const parsed = parseDpkgVersion(version);
    expect(formatDpkgVersion(parsed)).toBe(fromGo(expected));
    if ('$positional' in expected) expect([parsed.epoch, parsed.upstream, parsed.revision]).toEqual(expected.$positional);
  });
  it.each(file<{ v: GoDebVersion; expected: string }>('TestString.cases.json'))('TestString $expected', ({ v, expected }) => {
    expect(fromGo(v)).toBe(expected);
    expect(formatDpkgVersion(parseDpkgVersion(expected))).toBe(expected);
  });
  // TestExtract checks the Go library's split of a version into digit and non-digit runs,
  // which our parser keeps as alternating runs: the same split, checked on the same inputs.
  it.each(file<{ version: string; expectedNum: number[]; expectedStr: string[] | { $positional: string[] } }>('TestExtract.cases.json'))(
    'TestExtract $version',
    ({ version, expectedNum, expectedStr }) => {
      const runs = splitRuns(version);
      expect(runs.filter((_, i) => i % 2 === 1).map(Number)).toEqual(expectedNum);
      expect(runs.filter((run, i) => i % 2 === 0 && run !== '')).toEqual(Array.isArray(expectedStr) ? expectedStr : expectedStr.$positional);
    },
  );
});

describe('dpkg versions', () => {
  it('orders ~ before the end and letters before other characters', () => {
    expect(cmp('1.0~rc1-1', '1.0-1')).toBe(-1);
    expect(cmp('1.0a', '1.0+')).toBe(-1);
    expect(cmp('1:0.1', '2.0')).toBe(1);
    expect(cmp('1.0', '1.0-0')).toBe(0);
    expect(cmp('2.36.1-8+deb11u1', '2.36.1-8+deb11u2')).toBe(-1);
  });
  it('compares digit runs longer than 2^53 exactly', () => {
    expect(cmp('1.12345678901234567890', '1.12345678901234567891')).toBe(-1);
    expect(cmp('1.00012', '1.12')).toBe(0);
  });
  it('names the version and scheme of an invalid version', () => {
    expect(() => cmp('x1.0', '1.0')).toThrow('invalid dpkg version "x1.0": upstream version must start with a digit');
  });
});
