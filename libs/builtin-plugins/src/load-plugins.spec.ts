import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { builtinPlugins } from './builtin-plugins';
import { mkdirSync } from 'node:fs';
import { loadPluginPackage, loadPluginPackages, loadPlugins, PluginLoadError } from './load-plugins';

// Plugin "packages" as plain CommonJS files; zod is resolved from the workspace.
const zodPath = require.resolve('zod');
let dir: string;

function pluginFile(name: string, body: string): string {
  const file = path.join(dir, `${name}.js`);
  writeFileSync(file, `const { z } = require(${JSON.stringify(zodPath)});\n${body}\n`);
  return file;
}

const manifest = (id: string) => `{ id: '${id}', version: '1.0.0', kind: 'signer', phases: ['ship'], description: 'test' }`;
const task = `{ type: 'sign', description: 'sign', input: z.object({}), run: async () => null }`;

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'bulkhead-plugins-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('loadPlugins', () => {
  it('registers the built-ins plus default or `plugin` exports', () => {
    const a = pluginFile('a', `module.exports = { default: { manifest: ${manifest('acme.a')}, tasks: [${task}] } };`);
    const registry = loadPlugins([a]);
    expect(registry.list().map((p) => p.manifest.id)).toEqual([...builtinPlugins().map((p) => p.manifest.id), 'acme.a']);
    expect(registry.requireTask('signer', 'sign').plugin.manifest.id).toBe('acme.a');
    const b = pluginFile('b', `exports.plugin = { manifest: ${manifest('acme.b')}, tasks: [] };`);
    expect(loadPluginPackage(b).manifest.id).toBe('acme.b');
  });

  it('names the package that is missing, invalid or conflicting', () => {
    expect(() => loadPlugins(['@acme/not-installed'])).toThrow(/cannot load plugin package "@acme\/not-installed".*package not found/);
    const empty = pluginFile('empty', 'module.exports = {};');
    expect(() => loadPlugins([empty])).toThrow(PluginLoadError);
    expect(() => loadPlugins([empty])).toThrow(/neither a default export nor a `plugin` export/);
    const bad = pluginFile('bad', `exports.plugin = { manifest: { ...${manifest('acme.bad')}, version: 'one' }, tasks: [] };`);
    expect(() => loadPlugins([bad])).toThrow(/bad.js.*manifest.version "one" is not semver/);
    const throws = pluginFile('throws', `throw new Error('broken at import');`);
    expect(() => loadPlugins([throws])).toThrow(/cannot load plugin package ".*throws.js".*broken at import/);
    const a1 = pluginFile('a1', `exports.plugin = { manifest: ${manifest('acme.dup')}, tasks: [${task}] };`);
    const a2 = pluginFile('a2', `exports.plugin = { manifest: ${manifest('acme.dup2')}, tasks: [${task}] };`);
    expect(() => loadPlugins([a1, a2])).toThrow(/a2.js.*task signer\/sign of plugin acme.dup2 is already handled by plugin acme.dup/);
  });
});

/** A package directory: index.js (the plugin) plus the given entry files. */
function pluginDir(name: string, id: string, entries: Record<string, string> = {}): string {
  const root = path.join(dir, name);
  mkdirSync(root, { recursive: true });
  writeFileSync(path.join(root, 'package.json'), JSON.stringify({ name, main: 'index.js' }));
  writeFileSync(path.join(root, 'index.js'), `const { z } = require(${JSON.stringify(zodPath)});\nexports.plugin = { manifest: ${manifest(id)}, tasks: [] };\n`);
  for (const [file, body] of Object.entries(entries)) writeFileSync(path.join(root, file), body);
  return root;
}

describe('loadPluginPackages', () => {
  it('describes built-ins and npm packages alike; entries load lazily and an absent one is undefined', async () => {
    const withApi = pluginDir('with-api', 'acme.with-api', { 'api.js': 'exports.api = { module: () => class M {} };' });
    const bare = pluginDir('bare', 'acme.bare');
    const packages = loadPluginPackages([withApi, bare]);
    expect(packages.map((p) => p.plugin.manifest.id)).toEqual([...builtinPlugins().map((p) => p.manifest.id), 'acme.with-api', 'acme.bare']);
    expect(packages.at(-2)?.name).toBe(withApi);
    expect(typeof (await packages.at(-2)?.loadApi())?.module).toBe('function');
    expect(await packages.at(-2)?.loadCli()).toBeUndefined();
    expect(await packages.at(-1)?.loadApi()).toBeUndefined();
    // Every built-in has an api entry: benchmark runs, runtime alerts, the scanner's advisories and vulnerabilities.
    const builtin = (id: string) => packages.find((p) => p.plugin.manifest.id === id);
    expect(typeof (await builtin('bulkhead.benchmark')?.loadApi())?.module).toBe('function');
    expect(typeof (await builtin('bulkhead.scanner')?.loadApi())?.module).toBe('function');
  });

  it('a broken entry is a PluginLoadError naming the package and the entry', async () => {
    const throws = pluginDir('broken-api', 'acme.broken-api', { 'api.js': "throw new Error('api exploded');" });
    const empty = pluginDir('empty-cli', 'acme.empty-cli', { 'cli.js': 'exports.other = 1;' });
    const [broken, noExport] = loadPluginPackages([throws, empty]).slice(-2);
    const error = await broken?.loadApi().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PluginLoadError);
    expect((error as Error).message).toMatch(/cannot load plugin package ".*broken-api".*its api entry \(.*api\.js\) failed to load: api exploded/);
    await expect(noExport?.loadCli()).rejects.toThrow(/empty-cli.*its cli entry .* has neither a default export nor an `cli` export/);
  });
});
