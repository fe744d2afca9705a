import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { builtinPlugins } from './builtin-plugins';
import { loadPluginPackage, loadPlugins, PluginLoadError } from './load-plugins';

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
