import { describeWithShared } from '@bulkhead/testing';
import { compareApk } from './apk';
import { compareVersions, isValidVersion } from './ordering';
import { readVectors } from './vectors.testing';

const SYMBOL: Readonly<Record<string, number>> = { '<': -1, '=': 0, '>': 1 };

describeWithShared('apk versions: go-apk-version vectors', (shared) => {
  // apk-tools' test/version.data: like `apk version -t`, they order malformed versions too
  // ("1.0bc"), by their valid prefix; compareApk keeps that, compareVersions rejects them.
  const cases = readVectors<{ v1: string; v2: string; expected: string }>(shared, 'go-apk-version', 'cases.json').cases;
  it(`apk-tools version.data: ${cases.length} cases`, () => {
    const wrong = cases.filter(({ v1, v2, expected }) => compareApk(v1, v2) !== SYMBOL[expected]).map((c) => `${c.v1} ${c.expected} ${c.v2}`);
    expect(wrong).toEqual([]);
  });
  it('compareVersions agrees on every case whose versions are valid', () => {
    const valid = cases.filter(({ v1, v2 }) => isValidVersion('apk', v1) && isValidVersion('apk', v2));
    expect(valid.length).toBeGreaterThan(cases.length / 2);
    for (const { v1, v2, expected } of valid) expect([v1, v2, compareVersions('apk', v1, v2)]).toEqual([v1, v2, SYMBOL[expected]]);
  });
  it.each(readVectors<{ name: string; ver: string; wantErr?: boolean }>(shared, 'go-apk-version', 'TestNewVersion.tests.json').cases)('TestNewVersion $name: $ver', ({ ver, wantErr }) => {
    expect(isValidVersion('apk', ver)).toBe(!wantErr);
  });
});

describe('apk versions', () => {
  it('orders suffixes and revisions as Alpine does', () => {
    expect(compareVersions('apk', '1.1.22-r3', '1.1.22-r4')).toBe(-1);
    expect(compareVersions('apk', '1.2.3_rc1', '1.2.3')).toBe(-1);
    expect(compareVersions('apk', '1.2.3_p1', '1.2.3')).toBe(1);
    expect(compareVersions('apk', '1.2.3a', '1.2.3')).toBe(1);
  });
  it('rejects what apk cannot parse, naming it', () => {
    expect(() => compareVersions('apk', '1.0!', '1.0')).toThrow('invalid apk version "1.0!"');
  });
});
