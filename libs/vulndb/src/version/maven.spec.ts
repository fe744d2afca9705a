import { describeWithShared } from '@bulkhead/testing';
import { compareVersions } from './ordering';
import { ascendingPairs, readOrdered, readVectors } from './vectors.testing';

const cmp = (a: string, b: string): number => compareVersions('maven', a, b);

describeWithShared('maven versions: go-mvn-version vectors', (shared) => {
  const file = (name: string): { v1: string; v2: string; expect: boolean }[] => readVectors<{ v1: string; v2: string; expect: boolean }>(shared, 'go-mvn-version', name).cases;
  it.each(file('TestLessThan.testCases.json'))('TestLessThan $v1 < $v2: $expect', ({ v1, v2, expect: want }) => {
    expect(cmp(v1, v2) < 0).toBe(want);
  });
  it.each(file('TestGreaterThan.testCases.json'))('TestGreaterThan $v1 > $v2: $expect', ({ v1, v2, expect: want }) => {
    expect(cmp(v1, v2) > 0).toBe(want);
  });
  it.each(file('TestEqual.testCases.json'))('TestEqual $v1 = $v2: $expect', ({ v1, v2, expect: want }) => {
    expect(cmp(v1, v2) === 0).toBe(want);
  });
  for (const list of ['TestVersionQualifier.versionsQualifier.ordered.json', 'TestVersionsNumber.versionsNumber.ordered.json']) {
    it.each(ascendingPairs(readOrdered(shared, 'go-mvn-version', list)))(`${list}: %s < %s`, (lower, higher) => {
      expect(cmp(lower, higher)).toBe(-1);
      expect(cmp(higher, lower)).toBe(1);
    });
  }
});

describe('maven versions', () => {
  it('orders qualifiers as ComparableVersion', () => {
    expect(cmp('2.13.4.1', '2.13.4')).toBe(1);
    expect(cmp('5.3.18', '5.3.18.RELEASE')).toBe(0);
    expect(cmp('1.0-SNAPSHOT', '1.0')).toBe(-1);
    expect(cmp('1.0.0-M1', '1.0.0-RC1')).toBe(-1);
    expect(cmp('2.9.10.8', '2.10.0')).toBe(-1);
  });
});
