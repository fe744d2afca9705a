import { describeWithShared } from '@bulkhead/testing';
import { InvalidVersionError } from './errors';
import { compareVersions } from './ordering';
import { parseRpmVersion, rpmvercmp } from './rpm';
import { readVectors } from './vectors.testing';

type GoRpmVersion = { $positional?: [number, string, string] };

describeWithShared('rpm versions: go-rpm-version vectors', (shared) => {
  const file = <T>(name: string): T[] => readVectors<T>(shared, 'go-rpm-version', name).cases;

  // rpm's own rpmvercmp test table (4489 cases)
  const cases = file<{ v1: string; v2: string; expected: number }>('cases.json');
  it(`rpmvercmp: ${cases.length} cases`, () => {
    const wrong = cases.filter(({ v1, v2, expected }) => rpmvercmp(v1, v2) !== expected);
    expect(wrong).toEqual([]);
  });

  it.each(file<{ v1: string; v2: string; expected: number }>('TestParseAndCompare.cases.json'))('TestParseAndCompare $v1 vs $v2', ({ v1, v2, expected }) => {
    expect(compareVersions('rpm', v1, v2)).toBe(expected);
  });

  it.each(file<{ version: string; expected: GoRpmVersion }>('TestNewVersion.cases.json'))('TestNewVersion "$version"', ({ version, expected }) => {
    const fields = expected.$positional;
    if (!fields || fields[1] === '') {
      // go-rpm-version never fails: "" and "0:" give its zero value (epoch 0, empty version).
      // An empty version orders nothing, so ours rejects it instead of ordering it first.
      expect(() => parseRpmVersion(version)).toThrow(InvalidVersionError);
      return;
    }
    const parsed = parseRpmVersion(version);
    expect([parsed.epoch, parsed.version, parsed.release]).toEqual(fields);
  });

  it.each(file<{ v: { $positional: [number, string, string] }; expected: string }>('TestString.cases.json'))('TestString $expected', ({ v, expected }) => {
    const [epoch, version, release] = v.$positional;
    expect(parseRpmVersion(expected)).toEqual({ epoch, version, release });
  });
});

describe('rpm versions', () => {
  it('orders epochs first, then version, then release', () => {
    expect(compareVersions('rpm', '1:1.0-1', '2.0-1')).toBe(1);
    expect(compareVersions('rpm', '1.0-1.el8', '1.0-1.el8_1')).toBe(-1);
    expect(compareVersions('rpm', '1.0^git1-1', '1.0-1')).toBe(1);
    expect(compareVersions('rpm', '1.0~rc1-1', '1.0-1')).toBe(-1);
  });
});
