import { readJson, readProjectConfiguration, type Tree } from '@nx/devkit';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { pluginGenerator } from './generator';

function workspace(): Tree {
  const tree = createTreeWithEmptyWorkspace();
  tree.write('tsconfig.base.json', JSON.stringify({ compilerOptions: { paths: {} } }));
  tree.write('.swcrc', JSON.stringify({ jsc: { paths: {} } }));
  return tree;
}

describe('plugin generator', () => {
  it('creates a tagged plugin project with manifest, task, test and aliases', async () => {
    const tree = workspace();
    await pluginGenerator(tree, { name: 'secret-files', kind: 'scanner', phases: 'build, ship', description: 'Finds secrets' });

    const project = readProjectConfiguration(tree, 'plugin-secret-files');
    expect(project.tags).toEqual(['type:plugin', 'scope:secret-files']);
    expect(Object.keys(project.targets ?? {})).toEqual(['typecheck', 'test', 'test-integration']);

    const plugin = tree.read('plugins/secret-files/src/plugin.ts', 'utf8') ?? '';
    expect(plugin).toContain("id: 'bulkhead.secret-files'");
    expect(plugin).toContain("kind: 'scanner'");
    expect(plugin).toContain("phases: ['build', 'ship']");
    expect(plugin).toContain('export const secretFilesPlugin = definePlugin(');
    expect(tree.exists('plugins/secret-files/src/plugin.spec.ts')).toBe(true);

    const alias = ['./plugins/secret-files/src/index.ts'];
    expect(readJson(tree, 'tsconfig.base.json').compilerOptions.paths['@bulkhead/plugin-secret-files']).toEqual(alias);
    expect(readJson(tree, '.swcrc').jsc.paths['@bulkhead/plugin-secret-files']).toEqual(alias);
  });

  it('refuses unknown phases and an existing project', async () => {
    const tree = workspace();
    await expect(pluginGenerator(tree, { name: 'x', kind: 'runtime', phases: 'deploy' })).rejects.toThrow('--phases must list build, ship or run');
    await pluginGenerator(tree, { name: 'x', kind: 'runtime', phases: 'run' });
    await expect(pluginGenerator(tree, { name: 'x', kind: 'runtime', phases: 'run' })).rejects.toThrow('plugins/x already exists');
  });
});
