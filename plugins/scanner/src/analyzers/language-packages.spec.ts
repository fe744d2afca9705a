import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { testImageBuilder } from '@bulkhead/oci/testing';
import { sharedPath } from '@bulkhead/testing';
import { scanArtifact } from '../scan';
import { builtinAnalyzers } from './index';

/*
 * The rpm, Node.js and Python analyzers inside a real scan: an image whose layers hold an rpm
 * database, a project with its lockfile and node_modules, a global npm package, a Python
 * site-packages and requirements, and a malformed package.json, read in one pass with the other
 * built-in analyzers. Each package names the file it came from and the layer that introduced it.
 */

let work: string;
beforeAll(() => {
  work = mkdtempSync(path.join(tmpdir(), 'bh-lang-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

const lock = JSON.stringify(
  {
    name: 'app',
    lockfileVersion: 3,
    packages: {
      '': { name: 'app', version: '1.0.0', dependencies: { lodash: '^4' }, devDependencies: { jest: '^29' } },
      'node_modules/lodash': { version: '4.17.20' },
      'node_modules/jest': { version: '29.7.0', dev: true },
    },
  },
  null,
  2,
);

describe('language and rpm packages in an image scan', () => {
  it('reports each package once per file, with its path and introducing layer; malformed files become warnings', async () => {
    const rpmdb = sharedPath('peers/go-rpmdb/pkg/testdata/cbl-mariner-2.0/rpmdb.sqlite');
    const layout = path.join(work, 'oci');
    await testImageBuilder.writeOciLayout(layout, [
      {
        layers: [
          {
            entries: [
              { name: 'etc/os-release', content: 'ID=mariner\nVERSION_ID="2.0"\n' },
              ...(rpmdb ? [{ name: 'var/lib/rpm/rpmdb.sqlite', content: readFileSync(rpmdb) }] : []),
              { name: 'usr/lib/python3.9/site-packages/Django-3.2.1.dist-info/METADATA', content: 'Metadata-Version: 2.1\nName: Django\nVersion: 3.2.1\nLicense: BSD-3-Clause\n' },
            ],
          },
          {
            entries: [
              { name: 'app/package.json', content: '{"name":"app","version":"1.0.0","dependencies":{"lodash":"^4"}}' },
              { name: 'app/package-lock.json', content: lock },
              { name: 'app/node_modules/lodash/package.json', content: '{"name":"lodash","version":"4.17.20"}' },
              { name: 'usr/lib/node_modules/npm/package.json', content: '{"name":"npm","version":"9.6.7"}' },
              { name: 'usr/lib/node_modules/npm/node_modules/broken/package.json', content: '{"name": ' },
              { name: 'app/requirements.txt', content: 'requests==2.19.0\nflask>=2\n' },
            ],
          },
        ],
      },
    ]);
    const result = await scanArtifact(`oci:${layout}`, { analyzers: builtinAnalyzers });
    const [base, app] = result.artifact.layers.map((l) => l.diffId);
    const language = result.packages.filter((p) => p.type !== 'rpm').map((p) => [p.type, p.name, p.version, p.path, p.layer]);
    expect(language).toEqual([
      ['npm', 'lodash', '4.17.20', 'app/package-lock.json', app],
      ['npm', 'app', '1.0.0', 'app/package.json', app],
      ['npm', 'npm', '9.6.7', 'usr/lib/node_modules/npm/package.json', app],
      ['pypi', 'requests', '2.19.0', 'app/requirements.txt', app],
      ['pypi', 'Django', '3.2.1', 'usr/lib/python3.9/site-packages/Django-3.2.1.dist-info/METADATA', base],
    ]);
    expect(result.warnings).toEqual([expect.stringMatching(/^analyzer node-pkg: usr\/lib\/node_modules\/npm\/node_modules\/broken\/package\.json:1:\d+: JSON decode error.*: skipped$/)]);
    if (rpmdb) {
      const rpms = result.packages.filter((p) => p.type === 'rpm');
      expect(rpms).toHaveLength(129);
      expect(rpms.find((p) => p.name === 'curl')).toMatchObject({
        version: '7.76.0-6.cm2',
        purl: 'pkg:rpm/mariner/curl@7.76.0-6.cm2?arch=x86_64&distro=mariner-2.0',
        path: 'var/lib/rpm/rpmdb.sqlite',
        layer: base,
      });
    }
  });

  it('credits the same package version at two paths to the layer that wrote each', async () => {
    const layout = path.join(work, 'two-apps');
    const lodash = { content: '{"name":"lodash","version":"4.17.20"}' };
    await testImageBuilder.writeOciLayout(layout, [
      {
        layers: [
          { entries: [{ name: 'srv/one/node_modules/lodash/package.json', ...lodash }] },
          { entries: [{ name: 'srv/two/node_modules/lodash/package.json', ...lodash }] },
        ],
      },
    ]);
    const result = await scanArtifact(`oci:${layout}`, { analyzers: builtinAnalyzers });
    const [first, second] = result.artifact.layers.map((l) => l.diffId);
    expect(result.packages.map((p) => [p.path, p.layer])).toEqual([
      ['srv/one/node_modules/lodash/package.json', first],
      ['srv/two/node_modules/lodash/package.json', second],
    ]);
  });
});
