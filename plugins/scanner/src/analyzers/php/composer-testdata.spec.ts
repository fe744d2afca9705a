import { readFileSync } from 'node:fs';
import path from 'node:path';
import { BadInputError } from '@bulkhead/plugin-sdk';
import { describeWithShared } from '@bulkhead/testing';
import { expectedFiles, readCases, sortedBy, type TrivyCase, type TrivyDependency, type TrivyPackage } from '../golang/test-helpers';
import { parseComposerLock, parseInstalledJson } from './composer';
import { composerAnalyzer } from './index';

const byId = (p: { ID?: string; Name: string }): string => p.ID ?? p.Name;

describeWithShared('composer.lock against trivy testdata', (shared) => {
  const root = path.join(shared, 'peers/trivy/pkg/dependency/parser/php');
  const cases = expectedFiles(root).flatMap((file) => readCases(path.join(root, file)).map((c): [string, TrivyCase] => [file, c]));

  it('finds every expectation file', () => expect(cases).toHaveLength(1));

  it.each(cases)('%s', (file, c) => {
    const input = path.join(root, path.dirname(file), path.basename(file, '.expected.json'));
    const got = parseComposerLock(readFileSync(input, 'utf8'), input);
    const pkgs = got.map((p) => ({
      ID: p.id,
      Name: p.name,
      Version: p.version,
      ...(p.dev ? { Dev: true } : {}),
      ...(p.licenses.length > 0 ? { Licenses: p.licenses } : {}),
      ...(p.location ? { Locations: [{ StartLine: p.location.startLine, EndLine: p.location.endLine }] } : {}),
    }));
    const deps = got.filter((p) => p.dependsOn).map((p) => ({ ID: p.id, DependsOn: p.dependsOn ?? [] }));
    expect(sortedBy(pkgs, byId)).toEqual(sortedBy(c.expected['wantPkgs'] as TrivyPackage[], byId));
    expect(sortedBy(deps, (d) => d.ID)).toEqual(sortedBy(c.expected['wantDeps'] as TrivyDependency[], (d) => d.ID));
  });

  it('leaves packages-dev out of the inventory', async () => {
    const file = path.join(root, 'composer/testdata/composer_happy.lock');
    const result = await composerAnalyzer.analyze([{ path: 'srv/app/composer.lock', content: readFileSync(file) }], { artifactDigest: 'sha256:x' });
    expect(result.packages).toHaveLength(8);
    expect(result.packages?.[0]).toMatchObject({ type: 'composer', name: 'guzzlehttp/guzzle', purl: 'pkg:composer/guzzlehttp/guzzle@6.5.8', path: 'srv/app/composer.lock', metadata: { line: 9, endLine: 123, licenses: ['MIT'] } });
  });
});

describe('Composer installed.json', () => {
  it('reads Composer 2 and Composer 1 formats, marking dev packages', () => {
    const v2 = JSON.stringify({ packages: [{ name: 'monolog/monolog', version: '2.9.1', license: 'MIT', require: { 'psr/log': '^1' } }, { name: 'psr/log', version: '1.1.4' }, { name: 'phpunit/phpunit', version: '9.6.0' }], dev: true, 'dev-package-names': ['phpunit/phpunit'] }, null, 2);
    expect(parseInstalledJson(v2, 'vendor/composer/installed.json').map((p) => [p.id, p.dev, p.dependsOn, p.location?.startLine])).toEqual([
      ['monolog/monolog@2.9.1', false, ['psr/log@1.1.4'], 3],
      ['psr/log@1.1.4', false, undefined, 11],
      ['phpunit/phpunit@9.6.0', true, undefined, 15],
    ]);
    expect(parseInstalledJson('[{"name":"a/b","version":"1.0.0"}]', 'i.json').map((p) => p.id)).toEqual(['a/b@1.0.0']);
  });

  it('names the file and package of bad input; the analyzer skips such files', async () => {
    expect(() => parseComposerLock('{"packages": [', 'app/composer.lock')).toThrow(BadInputError);
    expect(() => parseComposerLock('{"packages": [\n{"name": "a/b"}\n]}', 'app/composer.lock')).toThrow('app/composer.lock:2: package #1 has no name or version');
    const result = await composerAnalyzer.analyze([{ path: 'composer.lock', content: Buffer.from('{') }], { artifactDigest: 'sha256:x' });
    expect(result.packages).toEqual([]);
    expect(['composer.lock', 'app/vendor/composer/installed.json', 'vendor/composer/installed.php', 'composer.json'].map(composerAnalyzer.wants)).toEqual([true, true, false, false]);
  });
});
