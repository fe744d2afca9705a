import { readFileSync } from 'node:fs';
import path from 'node:path';
import { readJson, readProjectConfiguration, type Tree } from '@nx/devkit';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { BUILTIN_PLUGINS_FILE, pluginGenerator } from './generator';

const BUILTINS = `import { scannerPlugin } from '@bulkhead/plugin-scanner';
import type { PluginPackage } from './plugin-package';

export function builtinPluginPackages(): PluginPackage[] {
  const none = async (): Promise<undefined> => undefined;
  return [
    builtin('@bulkhead/plugin-scanner', () => scannerPlugin, none, none),
  ];
}
`;

function workspace(): Tree {
  const tree = createTreeWithEmptyWorkspace();
  tree.write('tsconfig.base.json', JSON.stringify({ compilerOptions: { paths: {} } }));
  tree.write(BUILTIN_PLUGINS_FILE, BUILTINS);
  return tree;
}

describe('plugin generator', () => {
  it('creates a tagged plugin project with a default export, sensible names, a test and an alias', async () => {
    const tree = workspace();
    await pluginGenerator(tree, { name: 'my-check', kind: 'runtime', phases: 'run, ship', description: 'Checks things' });

    const project = readProjectConfiguration(tree, 'plugin-my-check');
    expect(project.tags).toEqual(['type:plugin', 'scope:my-check']);
    expect(Object.keys(project.targets ?? {})).toEqual(['typecheck', 'test', 'test-integration']);

    const plugin = tree.read('plugins/my-check/src/plugin.ts', 'utf8') ?? '';
    expect(plugin).toContain("id: 'acme.my-check'");
    expect(plugin).not.toContain('bulkhead.my-check');
    expect(plugin).toContain("type: 'my-check',");
    expect(plugin).not.toContain('my-check-check');
    expect(plugin).toContain("kind: 'runtime'");
    expect(plugin).toContain("phases: ['run', 'ship']");
    expect(plugin).toContain('export default myCheckPlugin;');
    expect(tree.read('plugins/my-check/src/index.ts', 'utf8')).toContain('export { default, myCheckPlugin }');
    const spec = tree.read('plugins/my-check/src/plugin.spec.ts', 'utf8') ?? '';
    expect(spec).toContain("from '@bulkhead/plugin-sdk/testing'");
    expect(spec).toContain("runPluginTask(plugin, 'my-check', { targets: ['a', 'b'] })");

    expect(readJson(tree, 'plugins/my-check/package.json')).toMatchObject({ name: '@bulkhead/plugin-my-check', peerDependencies: { '@bulkhead/plugin-sdk': '^0.1.0' } });
    expect(readJson(tree, 'tsconfig.base.json').compilerOptions.paths['@bulkhead/plugin-my-check']).toEqual(['./plugins/my-check/src/index.ts']);
  });

  it('registers the plugin where the built-ins are listed', async () => {
    const tree = workspace();
    await pluginGenerator(tree, { name: 'my-check', kind: 'runtime', phases: 'run', vendor: 'example' });
    expect(tree.read('plugins/my-check/src/plugin.ts', 'utf8')).toContain("id: 'example.my-check'");
    const builtins = tree.read(BUILTIN_PLUGINS_FILE, 'utf8') ?? '';
    expect(builtins).toContain("import { scannerPlugin } from '@bulkhead/plugin-scanner';\nimport { myCheckPlugin } from '@bulkhead/plugin-my-check';\n");
    expect(builtins).toContain("    builtin('@bulkhead/plugin-scanner', () => scannerPlugin, none, none),\n    builtin('@bulkhead/plugin-my-check', () => myCheckPlugin, async () => undefined, async () => undefined),\n  ];");
  });

  it("registers the plugin in the repository's real built-ins list with nothing it does not define", async () => {
    const tree = workspace();
    const real = readFileSync(path.join(__dirname, '../../../..', BUILTIN_PLUGINS_FILE), 'utf8');
    tree.write(BUILTIN_PLUGINS_FILE, real);
    await pluginGenerator(tree, { name: 'my-check', kind: 'runtime', phases: 'run' });
    const builtins = tree.read(BUILTIN_PLUGINS_FILE, 'utf8') ?? '';
    const entry = builtins.split('\n').find((line) => line.includes("'@bulkhead/plugin-my-check'") && line.includes('builtin('));
    // The entry may only name what exists in that file: builtin() and the plugin it imports.
    expect(entry?.trim()).toBe("builtin('@bulkhead/plugin-my-check', () => myCheckPlugin, async () => undefined, async () => undefined),");
    expect(builtins).toMatch(/^function builtin\(/m);
    expect(builtins).toContain("import { myCheckPlugin } from '@bulkhead/plugin-my-check';");
  });

  it('refuses unknown phases, a bad vendor, an existing project and a built-ins list it cannot find', async () => {
    const tree = workspace();
    await expect(pluginGenerator(tree, { name: 'x', kind: 'runtime', phases: 'deploy' })).rejects.toThrow('--phases must list build, ship or run');
    await expect(pluginGenerator(tree, { name: 'x', kind: 'runtime', phases: 'run', vendor: 'Acme Inc' })).rejects.toThrow('--vendor must be');
    await pluginGenerator(tree, { name: 'x', kind: 'runtime', phases: 'run' });
    await expect(pluginGenerator(tree, { name: 'x', kind: 'runtime', phases: 'run' })).rejects.toThrow('plugins/x already exists');
    const other = workspace();
    other.write(BUILTIN_PLUGINS_FILE, 'export const nothing = 1;\n');
    await expect(pluginGenerator(other, { name: 'y', kind: 'runtime', phases: 'run' })).rejects.toThrow(/found no `return \[ \.\.\. \];` in builtinPluginPackages\(\)/);
  });
});
