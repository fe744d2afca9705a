import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { builtinPluginPackages } from './builtin-plugins';
import { npmPluginPackage } from './load-plugins';

const zodPath = require.resolve('zod');
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'bulkhead-plugin-entries-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A plugin package in its own directory, its entries under dist/ and listed in `exports`. */
function packageDir(name: string, exportsField: Record<string, string>): string {
  const root = path.join(dir, name);
  mkdirSync(path.join(root, 'dist'), { recursive: true });
  writeFileSync(path.join(root, 'package.json'), JSON.stringify({ name, version: '1.0.0', main: './dist/index.js', exports: exportsField }));
  writeFileSync(
    path.join(root, 'dist', 'index.js'),
    `const { z } = require(${JSON.stringify(zodPath)});\nexports.default = { manifest: { id: 'acme.${name}', version: '1.0.0', kind: 'signer', phases: ['ship'], description: 't' }, tasks: [{ type: 'sign', description: 's', input: z.object({}), run: async () => null }] };\n`,
  );
  writeFileSync(path.join(root, 'dist', 'cli.js'), `exports.default = { commands: [{ name: '${name}', description: 'd', register: () => undefined }] };\n`);
  return root;
}

describe('plugin package entries', () => {
  it("finds a directory-named package's cli entry through its package.json exports", async () => {
    const root = packageDir('with-cli', { '.': './dist/index.js', './cli': './dist/cli.js' });
    const pkg = npmPluginPackage(root);
    expect(pkg.plugin.manifest.id).toBe('acme.with-cli');
    expect((await pkg.loadCli())?.commands.map((c) => c.name)).toEqual(['with-cli']);
    expect(await pkg.loadApi()).toBeUndefined();
  });

  it('has no cli entry when the package does not export one', async () => {
    const root = packageDir('without-cli', { '.': './dist/index.js' });
    expect(await npmPluginPackage(root).loadCli()).toBeUndefined();
  });

  it("loads the built-ins' cli entries: bench, db, runtime, scan and the signer's", async () => {
    const names = await Promise.all(builtinPluginPackages().map(async (pkg) => (await pkg.loadCli())?.commands.map((c) => c.name) ?? []));
    expect(names.flat().sort()).toEqual(expect.arrayContaining(['attest', 'bench', 'db', 'gate', 'keygen', 'runtime', 'scan', 'sign', 'verify', 'verify-attestation']));
  });
});
