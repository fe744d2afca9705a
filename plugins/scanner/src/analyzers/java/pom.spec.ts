import { BadInputError } from '@bulkhead/plugin-sdk';
import { pomAnalyzer, wantsPomFile } from './pom-analyzer';
import { PomResolver, evaluate } from './pom-resolver';
import { parsePomXml } from './pom-xml';

const ctx = { artifactDigest: 'sha256:x' };
const pom = (coordinates: string, body = ''): Buffer => {
  const [g, a, v] = coordinates.split(':');
  return Buffer.from(`<project><groupId>${g}</groupId><artifactId>${a}</artifactId><version>${v}</version>${body}</project>`);
};
const dep = (g: string, a: string, v = '', extra = ''): string => `<dependency><groupId>${g}</groupId><artifactId>${a}</artifactId>${v ? `<version>${v}</version>` : ''}${extra}</dependency>`;

describe('pom.xml analyzer', () => {
  it('resolves projects from the tree and its local repository, modules under their aggregator', async () => {
    const files = [
      { path: 'src/app/pom.xml', content: pom('com.acme:app:1.0', `<modules><module>core</module></modules><dependencies>${dep('org.lib', 'a', '1.2')}${dep('org.lib', 'unversioned')}</dependencies>`) },
      { path: 'src/app/core/pom.xml', content: pom('com.acme:core:1.0', `<dependencies>${dep('org.lib', 'b', '2.0')}</dependencies>`) },
      { path: 'root/.m2/repository/org/lib/a/1.2/a-1.2.pom', content: pom('org.lib:a:1.2', `<dependencies>${dep('org.lib', 'c', '3.0')}${dep('org.lib', 'test-only', '1', '<scope>test</scope>')}</dependencies>`) },
      { path: 'root/.m2/repository/org/lib/c/3.0/c-3.0.pom', content: pom('org.lib:c:3.0', '<licenses><license><name>MIT</name></license></licenses>') },
    ];
    const result = await pomAnalyzer.analyze(files, ctx);
    expect(result.packages?.map((p) => `${p.path} ${p.purl} ${String(p.metadata?.['relationship'])}`).sort()).toEqual([
      'src/app/core/pom.xml pkg:maven/com.acme/core@1.0 workspace',
      'src/app/core/pom.xml pkg:maven/org.lib/b@2.0 direct',
      'src/app/pom.xml pkg:maven/com.acme/app@1.0 root',
      'src/app/pom.xml pkg:maven/org.lib/a@1.2 direct',
      'src/app/pom.xml pkg:maven/org.lib/c@3.0 indirect',
    ]);
    expect(result.packages?.find((p) => p.name === 'org.lib:c')?.metadata?.['licenses']).toEqual(['MIT']);
  });

  it('asks for pom.xml files and local repository POMs only', () => {
    expect(['pom.xml', 'a/b/pom.xml', 'root/.m2/repository/g/a/1/a-1.pom', 'home/u/.m2/repository/g/a/1.0-SNAPSHOT/maven-metadata-central.xml', 'a/b.pom', 'pom.xml.bak', 'root/.m2/settings.xml'].map(wantsPomFile)).toEqual([
      true,
      true,
      true,
      true,
      false,
      false,
      false,
    ]);
  });

  it('skips a POM that is not XML and goes on with the others', async () => {
    const result = await pomAnalyzer.analyze(
      [
        { path: 'a/pom.xml', content: Buffer.from('<project><groupId>x</groupId') },
        { path: 'b/pom.xml', content: pom('g:b:1') },
      ],
      ctx,
    );
    expect(result.packages?.map((p) => p.name)).toEqual(['g:b']);
    expect(() => parsePomXml('<project><a></b></project>', 'a/pom.xml', false)).toThrow(BadInputError);
    expect(() => parsePomXml('<project><a></b></project>', 'a/pom.xml', false)).toThrow(/^a\/pom\.xml: invalid XML/);
  });
});

describe('pom resolution on hostile trees', () => {
  const resolver = (files: Record<string, Buffer>): PomResolver => new PomResolver({ repositories: ['r'], read: (path) => files[path] });

  it('ends parent cycles and self-importing BOMs', () => {
    const cycle = resolver({
      'a/pom.xml': pom('g:a:1', '<parent><groupId>g</groupId><artifactId>p</artifactId><version>1</version><relativePath>../p/pom.xml</relativePath></parent>'),
      'p/pom.xml': pom('g:p:1', '<parent><groupId>g</groupId><artifactId>a</artifactId><version>1</version><relativePath>../a/pom.xml</relativePath></parent>'),
    });
    expect(() => cycle.resolve('a/pom.xml')).toThrow(new BadInputError('a/pom.xml: parent POMs form a cycle (a/pom.xml -> p/pom.xml -> a/pom.xml)'));
    const bom = `<dependencyManagement><dependencies>${dep('g', 'bom', '1', '<type>pom</type><scope>import</scope>')}</dependencies></dependencyManagement>`;
    const selfImport = resolver({ 'x/pom.xml': pom('g:x:1', `${bom}<dependencies>${dep('g', 'y', '1')}</dependencies>`), 'r/g/bom/1/bom-1.pom': pom('g:bom:1', `${bom}<dependencies>${dep('g', 'z', '1')}</dependencies>`) });
    expect(() => selfImport.resolve('x/pom.xml')).toThrow(/BOM imports nest more than 32 deep/);
  });

  it('keeps paths inside the tree and repository coordinates free of traversal', () => {
    const files = { 'x/pom.xml': pom('g:x:1', `<parent><groupId>g</groupId><artifactId>p</artifactId><version>1</version><relativePath>../../../etc/pom.xml</relativePath></parent><dependencies>${dep('..', '..', '1')}</dependencies>`) };
    expect(resolver(files).resolve('x/pom.xml').map((a) => a.id).sort()).toEqual(['..:..:1', 'g:x:1']);
  });

  it('evaluates properties recursively, ending loops, and never reads the environment', () => {
    expect(evaluate('${a}-${b}', { a: '${b}', b: '2' })).toBe('2-2');
    expect(evaluate('${a}', { a: '${b}', b: '${a}' })).toBe('');
    expect(evaluate('${env.HOME}x', {})).toBe('x');
  });

  it('does not expand entity bombs', () => {
    let xml = '<?xml version="1.0"?><!DOCTYPE p [<!ENTITY l0 "lololololololololololololololol">';
    for (let i = 1; i < 10; i++) xml += `<!ENTITY l${i} "${`&l${i - 1};`.repeat(10)}">`;
    xml += ']><project><groupId>&l9;</groupId><artifactId>a</artifactId><version>1</version></project>';
    expect(parsePomXml(xml, 'pom.xml', false).groupId.length).toBeLessThan(100);
  });
});
