import type { AnalyzerFile } from '@bulkhead/plugin-sdk';
import { pipenvLockAnalyzer, pipRequirementsAnalyzer, poetryLockAnalyzer, pythonPackageAnalyzer, uvLockAnalyzer } from './analyzers';
import { isPep440Version } from './pep440';
import { parsePoetryLock } from './poetry';

const file = (path: string, content: string | Buffer): AnalyzerFile => ({ path, content: Buffer.isBuffer(content) ? content : Buffer.from(content), layer: 'sha256:l2' });
const ctx = { artifactDigest: '' };

describe('python-pkg analyzer', () => {
  it('reports installed distributions with the name as written, a normalised purl, licence, path and layer', async () => {
    const metadata = 'Metadata-Version: 2.1\nName: Flask_Login\nVersion: 0.6.2\nLicense-Expression: MIT\n\nLong description\nName: not-a-header\n';
    const result = await pythonPackageAnalyzer.analyze([file('usr/lib/python3/site-packages/Flask_Login-0.6.2.dist-info/METADATA', metadata)], ctx);
    expect(result.packages).toEqual([
      {
        type: 'pypi',
        name: 'Flask_Login',
        version: '0.6.2',
        purl: 'pkg:pypi/flask-login@0.6.2',
        path: 'usr/lib/python3/site-packages/Flask_Login-0.6.2.dist-info/METADATA',
        layer: 'sha256:l2',
        metadata: { licenses: ['MIT'], file: 'usr/lib/python3/site-packages/Flask_Login-0.6.2.dist-info/METADATA' },
      },
    ]);
  });

  it('wants wheel and egg metadata only', () => {
    expect(pythonPackageAnalyzer.wants('usr/lib/python3.11/site-packages/pip-23.0.1.dist-info/METADATA')).toBe(true);
    expect(pythonPackageAnalyzer.wants('usr/lib/python3/dist-packages/six-1.16.0.egg-info')).toBe(true);
    expect(pythonPackageAnalyzer.wants('usr/lib/python3/dist-packages/x.egg-info/PKG-INFO')).toBe(true);
    expect(pythonPackageAnalyzer.wants('opt/x.egg/EGG-INFO/PKG-INFO')).toBe(true);
    expect(pythonPackageAnalyzer.wants('usr/lib/python3/dist-packages/x.dist-info/RECORD')).toBe(false);
    expect(pythonPackageAnalyzer.wants('METADATA')).toBe(false);
  });

  it('a metadata file without a name or with a broken header is a warning naming it', async () => {
    const result = await pythonPackageAnalyzer.analyze([file('a.dist-info/METADATA', 'Version: 1.0\n'), file('b.dist-info/METADATA', 'Name: b\nno colon here\n'), file('c.dist-info/METADATA', 'Name: c\nVersion: 2\n')], ctx);
    expect(result.packages?.map((p) => p.name)).toEqual(['c']);
    expect(result.warnings).toEqual(['a.dist-info/METADATA: metadata without Name: skipped', 'b.dist-info/METADATA:2: malformed metadata header line "no colon here": skipped']);
  });
});

describe('Python lockfile analyzers', () => {
  it('requirements.txt: pinned versions with their line, UTF-16 included', async () => {
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('Django==4.2.1\r\nrequests>=2\r\n', 'utf16le')]);
    const result = await pipRequirementsAnalyzer.analyze([file('app/requirements.txt', utf16)], ctx);
    expect(result.packages?.map((p) => [p.name, p.version, p.purl, p.metadata?.['line']])).toEqual([['Django', '4.2.1', 'pkg:pypi/django@4.2.1', 1]]);
    expect(pipRequirementsAnalyzer.wants('app/requirements.txt')).toBe(true);
    expect(pipRequirementsAnalyzer.wants('app/requirements.txt.orig')).toBe(false);
  });

  it('poetry.lock: dev-only packages left out', async () => {
    const lock = ['[[package]]', 'name = "flask"', 'version = "2.0.0"', 'groups = ["main"]', '', '[[package]]', 'name = "pytest"', 'version = "8.0.0"', 'groups = ["dev"]', ''].join('\n');
    const result = await poetryLockAnalyzer.analyze([file('poetry.lock', lock)], ctx);
    expect(result.packages?.map((p) => p.name)).toEqual(['flask']);
  });

  it('uv.lock: the project root and dev-only packages left out', async () => {
    const lock = [
      'version = 1',
      '[[package]]',
      'name = "app"',
      'version = "0.1.0"',
      'source = { virtual = "." }',
      'dependencies = [{ name = "idna" }]',
      '[package.dev-dependencies]',
      'dev = [{ name = "pytest" }]',
      '[[package]]',
      'name = "idna"',
      'version = "3.7"',
      'source = { registry = "https://pypi.org/simple" }',
      '[[package]]',
      'name = "pytest"',
      'version = "8.0.0"',
      'source = { registry = "https://pypi.org/simple" }',
    ].join('\n');
    const result = await uvLockAnalyzer.analyze([file('uv.lock', lock)], ctx);
    expect(result.packages?.map((p) => [p.name, p.metadata?.['relationship']])).toEqual([['idna', 'direct']]);
  });

  it('Pipfile.lock and TOML errors name the file and line; hostile nesting does not crash', async () => {
    const result = await pipenvLockAnalyzer.analyze([file('Pipfile.lock', '{"default": {"a": {"version": "==1.0"}},}')], ctx);
    expect(result.warnings?.[0]).toMatch(/^Pipfile\.lock:1:\d+: JSON decode error/);
    expect(() => parsePoetryLock('[[package]]\nname = "a"\nversion = \n', 'poetry.lock')).toThrow(/^poetry\.lock:3:\d+: invalid TOML/);
    const deep = `a = ${'['.repeat(100_000)}${']'.repeat(100_000)}\n`;
    const hostile = await poetryLockAnalyzer.analyze([file('x/poetry.lock', deep)], ctx);
    expect(hostile.packages).toEqual([]);
    expect(hostile.warnings?.[0]).toMatch(/^x\/poetry\.lock/);
  });

  it('knows a PEP 440 version from something else', () => {
    for (const v of ['1.0', '2!1.0.post1.dev3', '1.0rc1+local.7', 'v1.2', '1.0-1']) expect(isPep440Version(v)).toBe(true);
    for (const v of ["'1.0'", '1.0.*', 'latest', '']) expect(isPep440Version(v)).toBe(false);
  });
});
