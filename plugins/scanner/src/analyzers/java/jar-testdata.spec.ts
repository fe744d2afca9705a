import { readFileSync } from 'node:fs';
import path from 'node:path';
import { BadInputError } from '@bulkhead/plugin-sdk';
import { describeWithShared } from '@bulkhead/testing';
import { expectedFiles, readCases, sortedBy, type TrivyCase, type TrivyPackage } from '../golang/test-helpers';
import { jarAnalyzer } from './index';
import { parseJavaArchive } from './jar';
import { storedZip } from './zip.fixture';

/**
 * Cases whose expectation needs what an offline scanner does not have, each with why. The
 * suite fails if a listed case does not exist.
 */
const EXCEPTIONS: Record<string, string> = {
  // The Go test answers the jar's SHA-1 from a mocked Maven Central; offline, Trivy itself gives
  // the MANIFEST.MF artifact, which the "offline" case of the same file checks.
  'test.jar.expected.json#sha1 search': 'needs a Maven Central SHA-1 lookup',
  // The jar holds an empty manifest only: the groupId comes from a mocked search by artifactId.
  // Offline, Trivy (and Bulkhead) report nothing for it; guessing a groupId would be wrong.
  'heuristic-1.0.0-SNAPSHOT.jar.expected.json#artifactId search': 'needs a Maven Central artifactId search',
};

describeWithShared('jar parser against trivy testdata', (shared) => {
  const root = path.join(shared, 'peers/trivy/pkg/dependency/parser/java/jar/testdata');
  const cases = expectedFiles(root).flatMap((file) => readCases(path.join(root, file)).map((c): [string, string, TrivyCase] => [`${file}#${c.name ?? ''}`, file, c]));

  it('finds every expectation file', () => expect(cases).toHaveLength(7));

  it.each(cases)('%s', async (key, file, c) => {
    const name = path.basename(file, '.expected.json');
    const got = await parseJavaArchive(readFileSync(path.join(root, name)), `testdata/${name}`);
    if (EXCEPTIONS[key]) {
      // What we do report offline for these: nothing invented.
      expect(got.every((p) => !(c.expected['want'] as TrivyPackage[]).some((w) => w.Name === p.name && w.Version === p.version))).toBe(true);
      return;
    }
    const shape = got.map((p) => ({ Name: p.name, Version: p.version, FilePath: p.filePath, ...(p.licenses ? { Licenses: p.licenses } : {}) }));
    // Trivy's jar test sorts both sides.
    const key2 = (p: { Name: string; Version?: string; FilePath?: string }): string => `${p.Name}@${p.Version ?? ''}@${p.FilePath ?? ''}`;
    expect(sortedBy(shape, key2)).toEqual(sortedBy(c.expected['want'] as TrivyPackage[], key2));
  });

  it('lists only exceptions that exist', () => {
    const keys = new Set(cases.map(([key]) => key));
    expect(Object.keys(EXCEPTIONS).filter((key) => !keys.has(key))).toEqual([]);
  });

  it('reports nested artifacts with the archive path and the image file', async () => {
    const content = readFileSync(path.join(root, 'nested.jar'));
    const result = await jarAnalyzer.analyze([{ path: 'opt/app/lib/nested.jar', content, layer: 'sha256:l' }], { artifactDigest: 'sha256:x' });
    expect(sortedBy(result.packages ?? [], (p) => p.name).map((p) => [p.purl, p.path, p.metadata?.['archive']])).toEqual([
      ['pkg:maven/test/nested@0.0.1', 'opt/app/lib/nested.jar', 'opt/app/lib/nested.jar'],
      ['pkg:maven/test/nested2@0.0.2', 'opt/app/lib/nested.jar/META-INF/jars/nested2.jar', 'opt/app/lib/nested.jar'],
      ['pkg:maven/test/nested3@0.0.3', 'opt/app/lib/nested.jar/META-INF/jars/nested2.jar/META-INF/jars/nested3.jar', 'opt/app/lib/nested.jar'],
    ]);
  });
});

describe('jar parser on hostile archives', () => {
  const props = (g: string, a: string, v: string): [string, Buffer] => [`META-INF/maven/${g}/${a}/pom.properties`, Buffer.from(`groupId=${g}\nartifactId=${a}\nversion=${v}\n`)];

  it('bounds nesting depth', async () => {
    let archive = storedZip([props('g', 'level5', '5')]);
    for (let level = 4; level >= 0; level--) archive = storedZip([props('g', `level${level}`, String(level)), [`lib/inner${level}.jar`, archive]]);
    const got = await parseJavaArchive(archive, 'app.jar', { maxEntries: 100, maxNestedBytes: 1 << 20, maxDepth: 2, maxTotalBytes: 1 << 24, maxRatio: 200 });
    expect(got.map((p) => p.name).sort()).toEqual(['g:level0', 'g:level1', 'g:level2']);
  });

  it('refuses a zip bomb and an archive over the inflate budget, naming the entry', async () => {
    const bomb = storedZip([['big.jar', Buffer.alloc(4 << 20)]], { deflate: true });
    await expect(parseJavaArchive(bomb, 'app.war', { maxEntries: 100, maxNestedBytes: 8 << 20, maxDepth: 3, maxTotalBytes: 1 << 30, maxRatio: 200 })).resolves.toEqual([]);
    const many = storedZip([['a.jar', storedZip([props('g', 'a', '1')])], ['b.jar', storedZip([props('g', 'b', '1')])]]);
    await expect(parseJavaArchive(many, 'app.war', { maxEntries: 100, maxNestedBytes: 1 << 20, maxDepth: 3, maxTotalBytes: 200, maxRatio: 200 })).rejects.toThrow(/^app\.war\/a\.jar\/.*: the archive inflates to more than 200 bytes$/);
    await expect(parseJavaArchive(storedZip([props('g', 'a', '1'), props('g', 'b', '1')]), 'x.jar', { maxEntries: 1, maxNestedBytes: 1, maxDepth: 1, maxTotalBytes: 1 << 20, maxRatio: 200 })).rejects.toThrow(
      'x.jar: 2 zip entries, over the limit of 1',
    );
  });

  it('refuses what is not a zip and entries that climb out of the archive', async () => {
    await expect(parseJavaArchive(Buffer.from('PK not really'), 'lib/x.jar')).rejects.toThrow(BadInputError);
    await expect(parseJavaArchive(storedZip([['../../etc/passwd', Buffer.from('x')]]), 'lib/evil.jar')).rejects.toThrow(/^lib\/evil\.jar: .*invalid relative path/);
    const result = await jarAnalyzer.analyze([{ path: 'lib/x.jar', content: Buffer.from('garbage') }], { artifactDigest: 'sha256:x' });
    expect(result.packages).toEqual([]);
  });
});
