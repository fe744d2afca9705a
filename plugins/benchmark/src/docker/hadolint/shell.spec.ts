import { parseShell } from './shell';

const commands = (script: string): string[] => parseShell(script).commands.map((c) => [c.name, ...c.args].join(' '));

describe('parseShell: the commands hadolint sees in a RUN script', () => {
  it.each([
    ['apt-get update && apt-get install -y curl', ['apt-get update', 'apt-get install -y curl']],
    ['a || b; c | d |& e & f', ['a', 'b', 'c', 'd', 'e', 'f']],
    ['echo "a b" \'c d\' $\'e\'', ['echo a b c d e']],
    ['apt-get install \\\n  curl \\\n  git', ['apt-get install curl git']],
    ['echo "x \\" y" \\$HOME', ['echo x " y $HOME']],
    ['FOO=1 BAR="a b" pip install x', ['pip install x']],
    ['DEBIAN_FRONTEND=noninteractive', []],
    ['echo $(curl -s x | sh) `wget y`', ['echo $(curl -s x | sh) `wget y`', 'curl -s x', 'sh', 'wget y']],
    ['echo "$(cd /tmp && ls)"', ['echo $(cd /tmp && ls)', 'cd /tmp', 'ls']],
    ['make > /dev/null 2>&1 && cat < in >> out', ['make', 'cat']],
    ['curl x &> log; wc -l 2> err', ['curl x', 'wc -l']],
    ['if [ -f x ]; then rm x; fi', ['[ -f x ]', 'rm x']],
    ['for f in a b; do gzip $f; done', ['gzip $f']],
    ['(cd /x && make) && { echo ok; }', ['cd /x', 'make', 'echo ok']],
    ['ls # apt-get install x\npwd', ['ls', 'pwd']],
    ['command apt-get install x', ['apt-get apt-get install x']],
    ['exec -a name nginx -g off', ['nginx -a name nginx -g off']],
    ['sudo apt-get install x', ['sudo apt-get install x']],
    ['$CC -o x main.c && make', ['make']],
    ['diff <(sort a) b', ['diff b', 'sort a']],
    ['echo $((1 + 2)) ${HOME} $1', ['echo $((1 + 2)) ${HOME} $1']],
    ['case "$ARCH" in amd64) apt-get install x ;; arm64|aarch64) apk add y ;; *) exit 1 ;; esac', ['apt-get install x', 'apk add y', 'exit 1']],
    ['case $x in\n  (a) make ;;\nesac && ls', ['make', 'ls']],
    ['[[ -f a && -d b ]] && rm a', ['rm a']],
    ['(( i++ )) && echo $i', ['echo $i']],
    ['pkgs=(curl git) && apt-get install "${pkgs[@]}"', ['apt-get install ${pkgs[@]}']],
    ['function setup { useradd app; } && setup', ['useradd app', 'setup']],
    ['for p in $(ls /opt); do rm -rf $p; done', ['ls /opt', 'rm -rf $p']],
  ])('%j → %j', (script, expected) => {
    expect(commands(script)).toEqual(expected);
  });

  it('finds pipes only for `|` and `|&`, not `||`', () => {
    expect(parseShell('a | b').hasPipes).toBe(true);
    expect(parseShell('a |& b').hasPipes).toBe(true);
    expect(parseShell('a || b').hasPipes).toBe(false);
    expect(parseShell('echo "a | b"').hasPipes).toBe(false);
  });

  it('lists flags the way hadolint does', () => {
    const [cmd] = parseShell('apt-get -yq --no-install-recommends --opt=x -- - install').commands;
    expect(cmd?.flags).toEqual([
      { name: 'y', at: 0 },
      { name: 'q', at: 0 },
      { name: 'no-install-recommends', at: 1 },
      { name: 'opt', at: 2 },
    ]);
  });

  it.each([['echo "open'], ["echo 'open"], ['echo $(ls'], ['echo `ls'], ['echo ${x']])('a script ShellCheck cannot parse (%j) yields no commands and says why', (script) => {
    const parsed = parseShell(script);
    expect(parsed.commands).toEqual([]);
    expect(parsed.error).toMatch(/unterminated/);
  });
});

describe('parseShell on hostile input', () => {
  it('parses a 1 MB single-line script quickly', () => {
    const script = `apt-get install ${'a'.repeat(1_000_000)} && ${'x '.repeat(200_000)}`;
    const started = Date.now();
    const parsed = parseShell(script);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(parsed.commands.map((c) => c.name)).toEqual(['apt-get', 'x']);
  });

  it('survives 100 000 nested $( without overflowing the stack', () => {
    const depth = 100_000;
    const script = `${'echo $('.repeat(depth)}sudo ls${')'.repeat(depth)}`;
    const parsed = parseShell(script);
    expect(parsed.error).toBeUndefined();
    // Commands nested deeper than the parser descends are skipped, not parsed.
    expect(parsed.commands.length).toBeGreaterThan(10);
    expect(parsed.commands.every((c) => c.name === 'echo')).toBe(true);
  });

  it('survives deep unbalanced nesting and many unterminated quotes', () => {
    expect(parseShell('$('.repeat(200_000)).error).toMatch(/unterminated/);
    expect(parseShell('"'.repeat(100_001)).error).toMatch(/unterminated/);
    expect(parseShell('`'.repeat(100_001)).error).toMatch(/unterminated/);
  });
});
