import { DockerfileParser } from 'dockerfile-ast';
import { HADOLINT_RULE_IDS, HADOLINT_RULE_META, lintWithHadolintRules } from './lint';

const ids = (content: string, ignore?: string[]): string[] => lintWithHadolintRules(content, ignore ? { ignore } : {}).map((p) => `${p.line}:${p.id}`);

describe('lintWithHadolintRules', () => {
  const dockerfile = ['FROM debian:12', 'RUN apt-get update && apt-get install -y --no-install-recommends curl', 'USER app', 'CMD ["curl"]'].join('\n');

  it('reports each problem once with hadolint id, level and message, sorted by line then id', () => {
    expect(lintWithHadolintRules(dockerfile)).toEqual([
      { id: 'DL3008', line: 2, level: 'warning', message: HADOLINT_RULE_META.DL3008?.message },
      { id: 'DL3009', line: 2, level: 'info', message: 'Delete the apt-get lists after installing something.' },
    ]);
  });

  it('a `# hadolint ignore=DL3008` line does not report DL3008 on the next instruction only', () => {
    const content = ['FROM debian:12', '# hadolint ignore=DL3008', 'RUN apt-get install -y --no-install-recommends curl', 'RUN apt-get install -y --no-install-recommends git'].join('\n');
    expect(ids(content)).toEqual(['4:DL3008', '4:DL3059']);
  });

  it('takes several ids in one pragma, with spaces', () => {
    const content = ['FROM debian:12', '# hadolint ignore=DL3008, DL3009', 'RUN apt-get update && apt-get install -y --no-install-recommends curl'].join('\n');
    expect(ids(content)).toEqual([]);
  });

  it('`# hadolint global ignore=` and the ignore option apply to the whole file', () => {
    const content = ['# hadolint global ignore=DL3009', 'FROM debian', 'RUN apt-get update && apt-get install -y --no-install-recommends curl'].join('\n');
    expect(ids(content)).toEqual(['2:DL3006', '3:DL3008']);
    expect(ids(content, ['DL3006', 'DL3008'])).toEqual([]);
  });

  it('knows every rule id it can report, configured ones included', () => {
    expect(HADOLINT_RULE_IDS.size).toBe(62);
    for (const id of ['DL3000', 'DL3026', 'DL3049', 'DL3058', 'DL3057', 'DL4006']) expect(HADOLINT_RULE_IDS.has(id)).toBe(true);
    for (const id of ['DL3005', 'DL3054', 'SC2086']) expect(HADOLINT_RULE_IDS.has(id)).toBe(false);
  });

  it('gives the last line of a multi-line instruction as endLine', () => {
    const [problem] = lintWithHadolintRules('FROM debian:12\nRUN cd /tmp \\\n && make\n');
    expect(problem).toMatchObject({ id: 'DL3003', line: 2, endLine: 3 });
  });

  it('judges exec-form RUN by its words', () => {
    expect(ids('FROM debian:12\nRUN ["sudo", "make"]')).toEqual(['2:DL3004']);
    expect(ids('FROM debian:12\nRUN ["echo", "a | b"]')).toEqual([]);
  });

  it('sees commands inside $( … ), after env assignments and behind `command`', () => {
    expect(ids('FROM debian:12\nRUN echo $(sudo id)')).toEqual(['2:DL3004']);
    expect(ids('FROM debian:12\nRUN DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends curl')).toEqual(['2:DL3008']);
    expect(ids('FROM debian:12\nRUN command apt install curl')).toEqual(['2:DL3027']);
  });

  it('does not hang or throw on hostile Dockerfiles: linear, within a few times the parser alone', () => {
    const hostile = [
      `FROM debian:12\nRUN apt-get install ${'x'.repeat(1_000_000)}`,
      `FROM debian:12\nRUN ${'echo $('.repeat(50_000)}${')'.repeat(50_000)}`,
      'FROM debian:12\nRUN echo "unterminated && sudo ls',
      "FROM debian:12\nRUN echo 'a\nRUN sudo ls",
      `FROM debian:12\n${'RUN a\n'.repeat(20_000)}`,
      '\u0000\uffff\nRUN [\nCOPY\nFROM\nONBUILD\nENV =\nLABEL =\nEXPOSE -\nWORKDIR\n',
    ];
    // The bound is relative to a baseline measured in the same run (dockerfile-ast parsing the
    // same text), so a loaded machine slows both sides: a wall-clock bound failed at load 14.
    let parsing = 0;
    let linting = 0;
    for (const content of hostile) {
      let started = performance.now();
      DockerfileParser.parse(content);
      parsing += performance.now() - started;
      started = performance.now();
      expect(() => lintWithHadolintRules(content)).not.toThrow();
      linting += performance.now() - started;
    }
    expect(linting).toBeLessThan(5 * parsing + 500);
    // An unparsable script has no commands for the shell rules, as in hadolint; the next RUN still counts.
    expect(ids("FROM debian:12\nRUN echo 'a\nRUN sudo ls")).toEqual(['3:DL3004', '3:DL3059']);
  });

  // hadolint's DL3026 examples (test/Hadolint/Rule/DL3026Spec.hs): the rule needs trusted registries.
  it.each([
    ['FROM random.com/debian', [], false],
    ['FROM random.com/debian', ['docker.io'], true],
    ['FROM random.com/debian', ['x.com', 'random.com'], false],
    ['FROM scratch', ['x.com', 'random.com'], false],
    ['FROM ubuntu:18.04 AS builder1\nFROM zemanlx/ubuntu:18.04 AS builder2\nFROM docker.io/zemanlx/ubuntu:18.04 AS builder3', ['docker.io'], false],
    ['FROM random.com/foo AS builder1\nFROM builder1 AS builder2', ['random.com'], false],
    ['FROM x.com/debian', ['*.random.com'], true],
    ['FROM foo.random.com/debian', ['x.com', '*.random.com'], false],
    ['FROM ubuntu:18.04 AS builder1\nFROM docker.io/zemanlx/ubuntu:18.04 AS builder3', ['*'], false],
  ] as const)('DL3026 over %j with trusted registries %j reports: %s', (content, trustedRegistries, reported) => {
    const problems = lintWithHadolintRules(content, { trustedRegistries });
    expect(problems.some((p) => p.id === 'DL3026')).toBe(reported);
  });
});
