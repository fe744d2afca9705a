import { GoRegexp, GoRegexpError, translateGoRegexp } from './go-regexp';

const latin1 = (text: string): string => Buffer.from(text, 'utf8').toString('latin1');
const matchesOf = (re: GoRegexp, subject: string): string[] => re.findAll(latin1(subject)).map(([s, e]) => latin1(subject).slice(s, e));
/** Both engines must agree on every expectation. */
const all = (pattern: string, subject: string): string[] => {
  const v8 = matchesOf(new GoRegexp(pattern, 'v8'), subject);
  expect(matchesOf(new GoRegexp(pattern, 're2'), subject)).toEqual(v8);
  return v8;
};

describe('Go regular expressions over bytes', () => {
  it('reads Go named groups, duplicate names included', () => {
    for (const engine of ['v8', 're2'] as const) {
      const re = new GoRegexp('(?P<secret>a+)-(b)-(?<secret>c+)(d)?', engine);
      expect(re.groupNames).toEqual(['secret', undefined, 'secret', undefined]);
      expect(re.findAll('xaa-b-ccx', true)).toEqual([[1, 8, 1, 3, 4, 5, 6, 8, -1, -1]]);
    }
  });

  it('switches flags mid-pattern, scoped to the enclosing group', () => {
    expect(all('(LTAI)(?i)[a-z]{3}', 'LTAIaBc ltaiabc LTAIABC')).toEqual(['LTAIaBc', 'LTAIABC']);
    expect(all('a(?i:b)c', 'aBc abc aBC')).toEqual(['aBc', 'abc']);
    expect(all('(?i)a(?-i)b', 'Ab AB ab')).toEqual(['Ab', 'ab']);
    // (?i) inside a group reaches the later alternatives of that group, as in Go.
    expect(all('(^(?i)test|/test)', 'test/TEST')).toEqual(['test', '/TEST']);
  });

  it('gives anchors and dot their Go meaning', () => {
    expect(all('^x$', 'x\nx')).toEqual([]);
    expect(all('(?m)^x$', 'x\nx\r\nx')).toEqual(['x', 'x']);
    expect(all('\\Ax|x\\z', 'x x x')).toEqual(['x', 'x']);
    // `.` matches \r (JavaScript's does not), never \n without (?s).
    expect(all('a.b', 'a\rb a\nb')).toEqual(['a\rb']);
    expect(all('(?s)a.b', 'a\nb')).toEqual(['a\nb']);
  });

  it('keeps \\s to ASCII white space, as Go does', () => {
    expect(all('a\\sb', 'a b a\u00a0b a\vb')).toEqual(['a b']);
    expect(all('[\\s]+', 'x \t\f\r\nx')).toEqual([' \t\f\r\n']);
  });

  it('matches non-ASCII literals as their UTF-8 bytes and counts bytes', () => {
    expect(all('é+', 'aééb')).toEqual([latin1('éé')]);
    expect(all('[^<]{2}', 'é')).toEqual([latin1('é')]);
  });

  it('handles classes: ranges, escapes, POSIX names, negation, case folding', () => {
    expect(all('[[:digit:]x-z]+', 'a19yz!')).toEqual(['19yz']);
    expect(all('(?i)[a-c]+', 'AbCd')).toEqual(['AbC']);
    expect(all('[^a-z]+', 'ab12CD')).toEqual(['12CD']);
    expect(all('[\\]\\-]+', 'a-]b')).toEqual(['-]']);
    expect(all('[]a]+', ']a]b')).toEqual([']a]']);
    expect(all('\\x41\\x{42}\\101', 'ABA')).toEqual(['ABA']);
  });

  it('honours lazy repetition and the U flag', () => {
    expect(all('a.*?b', 'axxbyyb')).toEqual(['axxb']);
    expect(all('(?U)a.*b', 'axxbyyb')).toEqual(['axxb']);
    expect(all('(?U)a.*?b', 'axxbyyb')).toEqual(['axxbyyb']);
  });

  it('reads a brace that is not a repetition as a literal', () => {
    expect(all('a{,2}', 'a{,2}')).toEqual(['a{,2}']);
    expect(all('\\Q.*\\E+', '.**')).toEqual(['.**']);
  });

  it("follows Go's FindAll with empty matches", () => {
    // Go: regexp.MustCompile(`a*`).FindAllStringIndex("baaab", -1) = [[0 0] [1 4] [5 5]]
    for (const engine of ['v8', 're2'] as const) {
      expect(new GoRegexp('a*', engine).findAll('baaab')).toEqual([
        [0, 0],
        [1, 4],
        [5, 5],
      ]);
    }
  });

  it('runs patterns that could backtrack exponentially in linear time', () => {
    const sas = String.raw`sv=\d{4}-\d{2}-\d{2}(?:[&;][a-z]+=[^&\s'"]*){1,12}[&;]sig=(?P<secret>[A-Za-z0-9%+/=]{40,})`;
    expect(new GoRegexp(sas).linear).toBe(true);
    expect(new GoRegexp(String.raw`--- start ---(.|\s)*--- stop ---`).linear).toBe(true);
    expect(new GoRegexp(String.raw`(?i)(?P<key>heroku[a-z0-9_ .\-,]{0,25})(=|>|:=|\|\|:|<=|=>|:).{0,5}['"](?P<secret>[0-9A-F]{8})['"]`).linear).toBe(false);
    expect(new GoRegexp('(sec(ret)?)?_?(access)?_?key').linear).toBe(false);
    expect(new GoRegexp('(?i)x(ey|ew)+[a-z]+').linear).toBe(false);
    expect(new GoRegexp('(a|aa)*b').linear).toBe(true);
    expect(new GoRegexp('(a|a)+b').linear).toBe(true);
    expect(new GoRegexp('(?:[a-z]+,)*b').linear).toBe(true);
    // 40 pairs take V8 over 20 s; 16,000 must take well under a second.
    const hostile = `sv=2020-01-01${';a=x'.repeat(16_000)}`;
    const started = Date.now();
    expect(new GoRegexp(sas).findAll(hostile, true)).toEqual([]);
    expect(Date.now() - started).toBeLessThan(1000);
    const real = `u?sv=2021-06-08&ss=b&srt=co&sp=rl&se=2030-01-01T00:00:00Z&sig=${'Ab1%2B'.repeat(8)} x`;
    expect(new GoRegexp(sas).findAll(real, true).map((row) => real.slice(row[2], row[3]))).toEqual([`${'Ab1%2B'.repeat(8)}`]);
  });

  it('refuses what it cannot match over bytes or what Go refuses, naming the pattern', () => {
    expect(() => translateGoRegexp('\\pL+')).toThrow(GoRegexpError);
    expect(() => translateGoRegexp('[é]')).toThrow(/non-ASCII characters in a class/);
    expect(() => translateGoRegexp('(a')).toThrow(/missing closing \)/);
    expect(() => translateGoRegexp('a{1001}')).toThrow(/over 1000/);
    expect(() => translateGoRegexp('(a)\\1')).toThrow(/backreference/);
    expect(() => translateGoRegexp('(?=a)')).toThrow(/unsupported group syntax/);
    expect(() => translateGoRegexp('a**')).toThrow(/"a\*\*"/);
  });
});
