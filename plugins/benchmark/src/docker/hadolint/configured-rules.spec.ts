import type { LabelSchema } from './label-schema';
import { lintWithHadolintRules, type HadolintOptions } from './lint';

/**
 * hadolint's examples for the rules that need configuration (test/Hadolint/Rule/DL3049Spec.hs …
 * DL3058Spec.hs, DL3057Spec.hs): how many times each Dockerfile reports the rule.
 */
const count = (id: string, content: string, options: HadolintOptions): number => lintWithHadolintRules(content, options).filter((p) => p.id === id).length;

const schema = (labels: LabelSchema): HadolintOptions => ({ labelSchema: labels });

describe('label-schema rules (only with a label schema)', () => {
  it.each([
    ['DL3049', 'FROM baseimage', schema({ foo: 'text' }), 1],
    ['DL3049', 'FROM baseimage\nLABEL bar="baz"', schema({ foo: 'text' }), 1],
    ['DL3049', 'FROM baseimage\nLABEL foo="bar"', schema({ foo: 'text' }), 0],
    ['DL3049', 'FROM stage1\nFROM stage2', schema({ foo: 'text' }), 2],
    ['DL3049', 'FROM stage1\nLABEL bar="baz"\nFROM stage2\nLABEL buzz="fuzz"', schema({ foo: 'text' }), 2],
    ['DL3049', 'FROM baseimage\nFROM newimage\nLABEL foo="bar"', schema({ foo: 'text' }), 1],
    ['DL3049', 'FROM baseimage\nLABEL baz="bar"\nFROM newimage\nLABEL foo="bar"', schema({ foo: 'text' }), 1],
    ['DL3049', 'FROM baseimage as base\nFROM base\nLABEL foo="bar"', schema({ foo: 'text' }), 1],
    ['DL3049', 'FROM baseimage as base\nLABEL foo="bar"\nFROM base', schema({ foo: 'text' }), 0],
    ['DL3049', 'FROM baseimage', {}, 0],
    ['DL3050', '', { ...schema({ required: 'text' }), strictLabels: true }, 0],
    ['DL3050', 'LABEL required="foo"', { ...schema({ required: 'text' }), strictLabels: true }, 0],
    ['DL3050', 'LABEL other="bar"', { ...schema({ required: 'text' }), strictLabels: true }, 1],
    ['DL3050', 'LABEL required="foo" other="bar"', { ...schema({ required: 'text' }), strictLabels: true }, 1],
    ['DL3050', 'LABEL other="bar"', schema({ required: 'text' }), 0],
    ['DL3051', 'LABEL emptylabel=""', schema({ emptylabel: 'text' }), 1],
    ['DL3051', 'LABEL emptylabel="foo"', schema({ emptylabel: 'text' }), 0],
    ['DL3051', 'LABEL other=""', schema({ emptylabel: 'text' }), 0],
    ['DL3052', 'LABEL urllabel="not-url"', schema({ urllabel: 'url' }), 1],
    ['DL3052', 'LABEL urllabel="http://example.com"', schema({ urllabel: 'url' }), 0],
    ['DL3052', 'LABEL other="foo"', schema({ urllabel: 'url' }), 0],
    ['DL3053', 'LABEL datelabel="not-date"', schema({ datelabel: 'rfc3339' }), 1],
    ['DL3053', 'LABEL datelabel="2021-03-10T10:26:33.564595127+01:00"', schema({ datelabel: 'rfc3339' }), 0],
    ['DL3053', 'LABEL other="doo"', schema({ datelabel: 'rfc3339' }), 0],
    ['DL3055', 'LABEL githash="not-git-hash"', schema({ githash: 'hash' }), 1],
    ['DL3055', 'LABEL githash="2dbfae9"', schema({ githash: 'hash' }), 0],
    ['DL3055', 'LABEL githash="43c572f1272b6b3171dd1db9e41b7027128ce080"', schema({ githash: 'hash' }), 0],
    ['DL3055', 'LABEL other="foo"', schema({ githash: 'hash' }), 0],
    ['DL3056', 'LABEL semver="not-sem-ver"', schema({ semver: 'semver' }), 1],
    ['DL3056', 'LABEL semver="1.0.0"', schema({ semver: 'semver' }), 0],
    ['DL3056', 'LABEL semver="2.0.1-rc1"', schema({ semver: 'semver' }), 0],
    ['DL3056', 'LABEL other="foo"', schema({ semver: 'semver' }), 0],
    ['DL3058', 'LABEL maintainer="not-email"', schema({ maintainer: 'email' }), 1],
    ['DL3058', 'LABEL maintainer="abcd@google.com"', schema({ maintainer: 'email' }), 0],
    ['DL3058', 'LABEL other="doo"', schema({ maintainer: 'email' }), 0],
  ] as const)('%s over %j with %j reports %i time(s)', (id, content, options, times) => {
    expect(count(id, content, options)).toBe(times);
  });

  it('names the label in the message', () => {
    expect(lintWithHadolintRules('FROM debian:12\nLABEL version=x', schema({ maintainer: 'text', version: 'semver' })).map((p) => `${p.id} ${p.message}`)).toEqual([
      'DL3049 Label `maintainer` is missing.',
      'DL3056 Label `version` does not conform to semantic versioning.',
    ]);
  });
});

describe('DL3057 (off by default) and level overrides', () => {
  const on: HadolintOptions = { override: { info: ['DL3057'] } };
  it.each([
    ['FROM scratch', on, 1],
    ['FROM scratch\nHEALTHCHECK CMD /bin/bla', on, 0],
    ['FROM scratch AS base\nHEALTHCHECK CMD /bin/bla\nFROM base', on, 0],
    ['FROM scratch AS base\nHEALTHCHECK CMD /bin/bla\nFROM scratch', on, 1],
    ['FROM scratch', {}, 0],
  ] as const)('%j with %j reports DL3057 %i time(s)', (content, options, times) => {
    expect(count('DL3057', content, options)).toBe(times);
  });

  it('reports a rule at the level an override gives it', () => {
    const [problem] = lintWithHadolintRules('FROM debian:12\nMAINTAINER x', { override: { style: ['DL4000'] } });
    expect(problem).toMatchObject({ id: 'DL4000', level: 'style' });
  });
});
