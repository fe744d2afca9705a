import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describeWithShared } from '@bulkhead/testing';
import { expectedFiles, readCases, sortedBy, type TrivyCase, type TrivyDependency, type TrivyPackage } from '../golang/test-helpers';
import { parseGemfileLock } from './gemfile-lock';
import { bundlerAnalyzer } from './index';

const byId = (p: { ID?: string; Name: string }): string => p.ID ?? p.Name;

describeWithShared('Gemfile.lock against trivy testdata', (shared) => {
  const root = path.join(shared, 'peers/trivy/pkg/dependency/parser/ruby');
  const cases = expectedFiles(root).flatMap((file) => readCases(path.join(root, file)).map((c): [string, TrivyCase] => [file, c]));

  it('finds every expectation file', () => expect(cases).toHaveLength(3));

  it.each(cases)('%s', (file, c) => {
    const input = path.join(root, path.dirname(file), path.basename(file, '.expected.json'));
    const got = parseGemfileLock(readFileSync(input, 'utf8'));
    const pkgs = got.map((g) => ({ ID: g.id, Name: g.name, Version: g.version, Relationship: g.relationship, Locations: [{ StartLine: g.line, EndLine: g.line }] }));
    const deps = got.filter((g) => g.dependsOn).map((g) => ({ ID: g.id, DependsOn: g.dependsOn ?? [] }));
    expect(sortedBy(pkgs, byId)).toEqual(sortedBy(c.expected['wantPkgs'] as TrivyPackage[], byId));
    expect(sortedBy(deps, (d) => d.ID)).toEqual(sortedBy((c.expected['wantDeps'] as TrivyDependency[] | undefined) ?? [], (d) => d.ID));
  });
});

describe('Gemfile.lock', () => {
  it('splits platforms off versions, reads GIT and PATH specs and marks bang dependencies direct', async () => {
    const lock = [
      'GIT',
      '  remote: https://github.com/x/rails.git',
      '  revision: abc',
      '  specs:',
      '    rails (7.1.0)',
      '      nokogiri',
      '',
      'GEM',
      '  remote: https://rubygems.org/',
      '  specs:',
      '    nokogiri (1.16.0-x86_64-linux)',
      '      racc (~> 1.4)',
      '    nokogiri (1.16.0-aarch64-linux)',
      '      racc (~> 1.4)',
      '    racc (1.7.3)',
      '',
      'DEPENDENCIES',
      '  rails!',
      '  nokogiri',
      '',
    ].join('\n');
    expect(parseGemfileLock(lock).map((g) => [g.id, g.platform, g.relationship, g.dependsOn, g.line])).toEqual([
      ['rails@7.1.0', undefined, 'direct', ['nokogiri@1.16.0'], 5],
      ['nokogiri@1.16.0', 'x86_64-linux', 'direct', ['racc@1.7.3'], 11],
      ['racc@1.7.3', undefined, 'indirect', undefined, 15],
    ]);
    const result = await bundlerAnalyzer.analyze([{ path: 'app/Gemfile.lock', content: Buffer.from(lock) }], { artifactDigest: 'sha256:x' });
    expect(result.packages?.[1]).toMatchObject({ type: 'gem', purl: 'pkg:gem/nokogiri@1.16.0?platform=x86_64-linux', path: 'app/Gemfile.lock' });
    expect(['Gemfile.lock', 'app/Gemfile.lock', 'Gemfile', 'app/Gemfile.lock.bak'].map(bundlerAnalyzer.wants)).toEqual([true, true, false, false]);
  });
});
