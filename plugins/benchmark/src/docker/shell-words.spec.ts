import { shellWords } from './shell-words';

describe('shellWords', () => {
  it('splits on blanks, groups quotes, honours escapes', () => {
    expect(shellWords(`apt-get install -y  "a b" 'c d' e\\ f`)).toEqual(['apt-get', 'install', '-y', 'a b', 'c d', 'e f']);
    expect(shellWords('A=1 B="x y" C=\'q\'')).toEqual(['A=1', 'B=x y', 'C=q']);
  });

  it('expands nothing: variables and globs stay as written', () => {
    expect(shellWords('install $PKG foo=1.2* ${VERSION}')).toEqual(['install', '$PKG', 'foo=1.2*', '$VERSION']);
  });

  it('gives operators as words and drops a comment', () => {
    expect(shellWords('curl -s x | sh && echo ok # trailing note')).toEqual(['curl', '-s', 'x', '|', 'sh', '&&', 'echo', 'ok']);
  });

  it('takes hostile input without throwing: unclosed quotes, lone backslashes, empty text', () => {
    expect(shellWords('echo "unclosed')).toEqual(['echo', 'unclosed']);
    expect(shellWords('\\')).toEqual(expect.any(Array));
    expect(shellWords('')).toEqual([]);
    expect(shellWords('x'.repeat(100_000))).toEqual(['x'.repeat(100_000)]);
  });
});
