import type { AnalyzerFile } from '@bulkhead/plugin-sdk';
import { hasBaseName, nodePackageAnalyzer, npmLockAnalyzer, pnpmLockAnalyzer, yarnLockAnalyzer } from './analyzers';
import { parsePackageLock } from './package-lock';
import { parsePnpmLock } from './pnpm-lock';

const file = (path: string, content: string): AnalyzerFile => ({ path, content: Buffer.from(content), layer: 'sha256:l1' });
const ctx = { artifactDigest: '' };

const LOCK_V3 = JSON.stringify(
  {
    name: 'app',
    lockfileVersion: 3,
    packages: {
      '': { name: 'app', dependencies: { '@babel/core': '^7' }, devDependencies: { jest: '^29' } },
      'node_modules/@babel/core': { version: '7.24.0', license: 'MIT', dependencies: { ms: '^2' } },
      'node_modules/ms': { version: '2.1.3' },
      'node_modules/jest': { version: '29.7.0', dev: true },
    },
  },
  null,
  2,
);

describe('npm-lock analyzer', () => {
  it('reports lockfile packages without dev dependencies, with purl, path, layer and line', async () => {
    const result = await npmLockAnalyzer.analyze([file('app/package-lock.json', LOCK_V3)], ctx);
    expect(result.packages?.map((p) => [p.name, p.version, p.purl, p.path, p.layer, p.metadata?.['relationship'], p.metadata?.['line']])).toEqual([
      ['@babel/core', '7.24.0', 'pkg:npm/%40babel/core@7.24.0', 'app/package-lock.json', 'sha256:l1', 'direct', 14],
      ['ms', '2.1.3', 'pkg:npm/ms@2.1.3', 'app/package-lock.json', 'sha256:l1', 'indirect', 21],
    ]);
    expect(result.packages?.[0]?.metadata).toMatchObject({ licenses: ['MIT'], dependsOn: ['ms@2.1.3'] });
  });

  it('wants project lockfiles only, by name', () => {
    expect(npmLockAnalyzer.wants('srv/app/package-lock.json')).toBe(true);
    expect(npmLockAnalyzer.wants('package-lock.json')).toBe(true);
    expect(npmLockAnalyzer.wants('app/node_modules/.package-lock.json')).toBe(false);
    expect(npmLockAnalyzer.wants('app/node_modules/x/package-lock.json')).toBe(false);
    expect(npmLockAnalyzer.wants('app/package-lock.json.bak')).toBe(false);
    expect(npmLockAnalyzer.wants('app/old-package-lock.json')).toBe(false);
    expect(hasBaseName('package.json', 'package.json')).toBe(true);
    expect(hasBaseName('a/package.json', 'package.json')).toBe(true);
    expect(hasBaseName('a/xpackage.json', 'package.json')).toBe(false);
  });

  it('a malformed or hostile lockfile is a warning naming file and line; the other files still count', async () => {
    const deep = `{"lockfileVersion":3,"packages":${'['.repeat(200_000)}${']'.repeat(200_000)}}`;
    const result = await npmLockAnalyzer.analyze([file('a/package-lock.json', '{\n  "lockfileVersion": 3,\n  oops\n}'), file('b/package-lock.json', deep), file('c/package-lock.json', LOCK_V3)], ctx);
    expect(result.packages).toHaveLength(2);
    expect(result.warnings).toHaveLength(2);
    expect(result.warnings?.[0]).toMatch(/^a\/package-lock\.json:3:3: JSON decode error/);
    expect(result.warnings?.[1]).toBe('b/package-lock.json:1: JSON nested deeper than 256 levels: skipped');
  });

  it('names unsupported lockfile versions', () => {
    expect(() => parsePackageLock('{"lockfileVersion": 7}', 'x/package-lock.json')).toThrow('x/package-lock.json: unsupported lockfileVersion 7');
  });
});

describe('yarn-lock analyzer', () => {
  const yarnLock = [
    '# yarn lockfile v1',
    '',
    'express@^4.18.0:',
    '  version "4.18.2"',
    '  dependencies:',
    '    debug "2.6.9"',
    '',
    'debug@2.6.9:',
    '  version "2.6.9"',
    '',
    'jest@^29.0.0:',
    '  version "29.7.0"',
    '',
  ].join('\n');

  it('leaves out packages reachable only from devDependencies of the package.json beside it', async () => {
    const manifest = JSON.stringify({ name: 'app', version: '1.0.0', dependencies: { express: '^4.18.0' }, devDependencies: { jest: '^29.0.0' } });
    const result = await yarnLockAnalyzer.analyze([file('app/yarn.lock', yarnLock), file('app/package.json', manifest)], ctx);
    expect(result.packages?.map((p) => [p.name, p.version, p.metadata?.['relationship'], p.metadata?.['line']])).toEqual([
      ['debug', '2.6.9', 'indirect', 8],
      ['express', '4.18.2', 'direct', 3],
    ]);
  });

  it('counts workspace members\' dependencies as production dependencies of a monorepo', async () => {
    const root = JSON.stringify({ name: 'mono', private: true, workspaces: ['packages/*'], devDependencies: { jest: '^29.0.0' } });
    const api = JSON.stringify({ name: 'api', version: '1.0.0', dependencies: { express: '^4.18.0' } });
    const result = await yarnLockAnalyzer.analyze([file('repo/yarn.lock', yarnLock), file('repo/package.json', root), file('repo/packages/api/package.json', api), file('repo/tools/x/package.json', '{"dependencies":{"jest":"^29.0.0"}}')], ctx);
    expect(result.packages?.map((p) => p.name)).toEqual(['debug', 'express']);
  });

  it('keeps every package without a package.json', async () => {
    const result = await yarnLockAnalyzer.analyze([file('app/yarn.lock', yarnLock)], ctx);
    expect(result.packages?.map((p) => p.name)).toEqual(['debug', 'express', 'jest']);
  });

  it('warns about entries of an unknown protocol and keeps the rest', async () => {
    const result = await yarnLockAnalyzer.analyze([file('yarn.lock', 'a@weird:1:\n  version "1.0.0"\n\nb@^1:\n  version "1.0.0"\n')], ctx);
    expect(result.packages?.map((p) => p.name)).toEqual(['b']);
    expect(result.warnings).toEqual(['yarn.lock:1: unknown protocol "weird" in "a@weird:1:": entry skipped']);
  });
});

describe('pnpm-lock analyzer', () => {
  it('v9: leaves out dev-only packages', async () => {
    const lock = [
      "lockfileVersion: '9.0'",
      'importers:',
      '  .:',
      '    dependencies:',
      '      ms: {specifier: ^2, version: 2.1.3}',
      '    devDependencies:',
      '      jest: {specifier: ^29, version: 29.7.0}',
      'packages:',
      '  ms@2.1.3: {}',
      '  jest@29.7.0: {}',
      'snapshots:',
      '  ms@2.1.3: {}',
      '  jest@29.7.0: {}',
    ].join('\n');
    const result = await pnpmLockAnalyzer.analyze([file('pnpm-lock.yaml', lock)], ctx);
    expect(result.packages?.map((p) => `${p.name}@${p.version}`)).toEqual(['ms@2.1.3']);
  });

  it('refuses YAML alias bombs and invalid YAML, naming the file', () => {
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]', ...Array.from({ length: 12 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [*${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}]`), "lockfileVersion: '9.0'"].join('\n');
    expect(() => parsePnpmLock(bomb, 'pnpm-lock.yaml')).toThrow(/pnpm-lock\.yaml/);
    expect(() => parsePnpmLock('a: [1, 2\nb: c: d', 'x/pnpm-lock.yaml')).toThrow(/^x\/pnpm-lock\.yaml:\d+: invalid YAML/);
  });
});

describe('node-pkg analyzer', () => {
  it('reports installed packages, skipping nameless or versionless package.json files and malformed ones with a warning', async () => {
    const result = await nodePackageAnalyzer.analyze(
      [
        file('usr/lib/node_modules/npm/package.json', '{"name":"npm","version":"10.2.4","license":"Artistic-2.0"}'),
        file('usr/lib/node_modules/npm/node_modules/semver/package.json', '{"name":"semver","version":"7.5.4"}'),
        file('usr/lib/node_modules/npm/lib/package.json', '{"type":"module"}'),
        file('usr/lib/node_modules/resolve/test/malformed/package.json', '{"name": "x",'),
      ],
      ctx,
    );
    expect(result.packages?.map((p) => [p.name, p.version, p.path])).toEqual([
      ['npm', '10.2.4', 'usr/lib/node_modules/npm/package.json'],
      ['semver', '7.5.4', 'usr/lib/node_modules/npm/node_modules/semver/package.json'],
    ]);
    expect(result.packages?.[0]?.metadata).toMatchObject({ licenses: ['Artistic-2.0'] });
    expect(result.warnings).toHaveLength(1);
    expect(result.warnings?.[0]).toMatch(/^usr\/lib\/node_modules\/resolve\/test\/malformed\/package\.json:1:\d+: JSON decode error/);
  });

  it('leaves out installed packages the project lockfile reports; keeps the project, installed dev and unlocked packages', async () => {
    const result = await nodePackageAnalyzer.analyze(
      [
        file('app/package-lock.json', LOCK_V3),
        file('app/package.json', '{"name":"app","version":"1.0.0"}'),
        file('app/node_modules/ms/package.json', '{"name":"ms","version":"2.1.3"}'),
        file('app/node_modules/jest/package.json', '{"name":"jest","version":"29.7.0"}'),
        file('app/node_modules/extra/package.json', '{"name":"extra","version":"1.0.0"}'),
        file('other/node_modules/ms/package.json', '{"name":"ms","version":"2.0.0"}'),
        file('web/yarn.lock', 'ms@^2.1.0:\n  version "2.1.3"\n'),
        file('web/node_modules/ms/package.json', '{"name":"ms","version":"2.1.3"}'),
      ],
      ctx,
    );
    expect(result.packages?.map((p) => p.path)).toEqual(['app/package.json', 'app/node_modules/jest/package.json', 'app/node_modules/extra/package.json', 'other/node_modules/ms/package.json']);
  });
});
