import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { scanArtifact } from '../scan';
import { elf64WithSection, macho64WithSection } from './golang/executables.fixture';
import { BUILDINFO_MAGIC } from './golang/buildinfo';
import { storedZip } from './java/zip.fixture';
import { builtinAnalyzers } from './index';
import { deflateSync } from 'node:zlib';

/** A Go 1.18+ build info blob (see golang.spec.ts). */
function buildInfo(goVersion: string, modinfo: string): Buffer {
  const header = Buffer.alloc(32);
  BUILDINFO_MAGIC.copy(header);
  header[14] = 8;
  header[15] = 2;
  const str = (b: Buffer): Buffer => Buffer.concat([Buffer.from([b.length]), b]);
  const sentinel = Buffer.alloc(16, 0x5a);
  return Buffer.concat([header, str(Buffer.from(goVersion)), str(Buffer.concat([sentinel, Buffer.from(modinfo), sentinel]))]);
}

describe('language analyzers in a root file system scan', () => {
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(path.join(tmpdir(), 'bulkhead-lang-'));
    const put = (file: string, content: string | Buffer): void => {
      mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
      writeFileSync(path.join(root, file), content);
    };
    put('etc/os-release', 'ID=debian\nVERSION_ID="12"\n');
    put('app/go.mod', 'module example.com/app\n\ngo 1.21\n\nrequire github.com/pkg/errors v0.9.1\n');
    put('usr/local/bin/server', elf64WithSection('.go.buildinfo', buildInfo('go1.22.4', 'path\texample.com/server\nmod\texample.com/server\tv2.0.0\t\ndep\tgolang.org/x/net\tv0.20.0\th1:x=\n')));
    put('usr/local/bin/rusty', macho64WithSection('.dep-v0', deflateSync(JSON.stringify({ packages: [{ name: 'rusty', version: '0.1.0', root: true, dependencies: [1] }, { name: 'serde', version: '1.0.190' }] }))));
    put('usr/share/doc/readme.txt', 'not wanted');
    put('srv/rs/Cargo.lock', 'version = 3\n\n[[package]]\nname = "smallvec"\nversion = "1.11.0"\n');
    put('var/www/composer.lock', JSON.stringify({ packages: [{ name: 'monolog/monolog', version: '2.9.1' }], 'packages-dev': [{ name: 'phpunit/phpunit', version: '9.6.0' }] }));
    put('var/www/vendor/composer/installed.json', JSON.stringify({ packages: [{ name: 'monolog/monolog', version: '2.9.1' }] }));
    put('app/Gemfile.lock', 'GEM\n  remote: https://rubygems.org/\n  specs:\n    rack (2.2.8)\n\nDEPENDENCIES\n  rack\n');
    put('opt/app/lib/app.war', storedZip([['WEB-INF/lib/log4j-core-2.14.1.jar', storedZip([['META-INF/maven/org.apache.logging.log4j/log4j-core/pom.properties', Buffer.from('groupId=org.apache.logging.log4j\nartifactId=log4j-core\nversion=2.14.1\n')]])]]));
    put('src/svc/pom.xml', '<project><groupId>com.acme</groupId><artifactId>svc</artifactId><version>1.0</version><dependencies><dependency><groupId>org.yaml</groupId><artifactId>snakeyaml</artifactId><version>1.33</version></dependency></dependencies></project>');
    put('root/.m2/repository/org/yaml/snakeyaml/1.33/snakeyaml-1.33.pom', '<project><groupId>org.yaml</groupId><artifactId>snakeyaml</artifactId><version>1.33</version></project>');
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('finds every ecosystem, each package with the file it came from', async () => {
    const result = await scanArtifact(`rootfs:${root}`, { analyzers: builtinAnalyzers });
    expect(result.warnings).toEqual([]);
    expect(result.packages.map((p) => `${p.path} ${p.purl}`).sort()).toEqual([
      'app/Gemfile.lock pkg:gem/rack@2.2.8',
      'app/go.mod pkg:golang/github.com/pkg/errors@v0.9.1',
      'opt/app/lib/app.war/WEB-INF/lib/log4j-core-2.14.1.jar pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1',
      'src/svc/pom.xml pkg:maven/com.acme/svc@1.0',
      'src/svc/pom.xml pkg:maven/org.yaml/snakeyaml@1.33',
      'srv/rs/Cargo.lock pkg:cargo/smallvec@1.11.0',
      'usr/local/bin/rusty pkg:cargo/rusty@0.1.0',
      'usr/local/bin/rusty pkg:cargo/serde@1.0.190',
      'usr/local/bin/server pkg:golang/example.com/server@v2.0.0',
      'usr/local/bin/server pkg:golang/golang.org/x/net@v0.20.0',
      'usr/local/bin/server pkg:golang/stdlib@v1.22.4',
      'var/www/composer.lock pkg:composer/monolog/monolog@2.9.1',
      'var/www/vendor/composer/installed.json pkg:composer/monolog/monolog@2.9.1',
    ]);
  });
});
