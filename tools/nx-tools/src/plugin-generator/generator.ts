import path from 'node:path';
import { addProjectConfiguration, formatFiles, generateFiles, names, updateJson, type Tree } from '@nx/devkit';
import type { PluginGeneratorSchema } from './schema';

const PHASES = new Set(['build', 'ship', 'run']);

/**
 * Creates plugins/<name>: a project tagged type:plugin (so lint lets it import only libs), a
 * manifest, one task with an input schema, a test that runs it through the real task runner,
 * and the @bulkhead/plugin-<name> alias (TypeScript and swc).
 */
export async function pluginGenerator(tree: Tree, options: PluginGeneratorSchema): Promise<void> {
  const name = names(options.name).fileName;
  const root = `plugins/${name}`;
  if (tree.exists(root)) throw new Error(`${root} already exists`);
  const phases = options.phases.split(',').map((p) => p.trim()).filter(Boolean);
  const unknown = phases.filter((p) => !PHASES.has(p));
  if (phases.length === 0 || unknown.length) throw new Error(`--phases must list build, ship or run (got ${options.phases})`);
  const alias = `@bulkhead/plugin-${name}`;

  addProjectConfiguration(tree, `plugin-${name}`, {
    root,
    sourceRoot: `${root}/src`,
    projectType: 'library',
    tags: ['type:plugin', `scope:${name}`],
    targets: { typecheck: {}, test: {}, 'test-integration': {} },
  });
  tree.write(`${root}/tsconfig.json`, JSON.stringify({ extends: '../../tsconfig.base.json', include: ['src/**/*.ts'] }, null, 2) + '\n');
  generateFiles(tree, path.join(__dirname, 'files'), root, {
    name,
    propertyName: names(name).propertyName,
    kind: options.kind,
    phases: phases.map((p) => `'${p}'`).join(', '),
    description: (options.description ?? `The ${name} plugin`).replace(/'/g, '’'),
    tmpl: '',
  });
  const target = `./${root}/src/index.ts`;
  updateJson(tree, 'tsconfig.base.json', (json) => {
    json.compilerOptions.paths[alias] = [target];
    return json;
  });
  updateJson(tree, '.swcrc', (json) => {
    json.jsc.paths[alias] = [target];
    return json;
  });
  await formatFiles(tree);
}

export default pluginGenerator;
