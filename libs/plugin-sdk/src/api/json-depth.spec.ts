import { jsonNestingDepth } from './json-depth';

describe('jsonNestingDepth', () => {
  it('counts arrays and objects, not brackets inside strings', () => {
    expect(jsonNestingDepth('1')).toBe(0);
    expect(jsonNestingDepth('{"a":[{"b":"[[[{{"}]}')).toBe(3);
    expect(jsonNestingDepth('["\\"[[["]')).toBe(1);
    expect(jsonNestingDepth(Buffer.from('[[[]],[]]'))).toBe(3);
  });

  it('stops at the limit on a hostile body', () => {
    expect(jsonNestingDepth('['.repeat(1_000_000), 64)).toBe(65);
  });
});
