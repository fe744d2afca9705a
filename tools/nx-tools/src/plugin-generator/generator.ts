import path from 'node:path';
import { addProjectConfiguration, formatFiles, generateFiles, names, updateJson, type Tree } from '@nx/devkit';
import type { PluginGeneratorSchema } from './schema';

const PHASES = new Set(['build', 'ship', 'run']);
/** Where the built-in plugins are listed: the generated plugin is registered there. */
export const BUILTIN_PLUGINS_FILE = 'libs/builtin-plugins/src/builtin-plugins.ts';

/**
 * Creates plugins/<name>: a project tagged type:plugin (so lint lets it import only libs), a
 * package.json with the SDK as a peer dependency, a manifest with id `<vendor>.<name>`, one task
 * named `<name>` with an input schema, a default export, a test through the SDK's testing entry,
 * the @bulkhead/plugin-<name> path alias, and its entry in the list of built-in plugins.
 */
export async function pluginGenerator(tree: Tree, options: PluginGeneratorSchema): Promise<void> {
  const name = names(options.name).fileName;
  const root = `plugins/${name}`;
  if (tree.exists(root)) throw new Error(`${root} already exists`);
  const phases = options.phases.split(',').map((p) => p.trim()).filter(Boolean);
  const unknown = phases.filter((p) => !PHASES.has(p));
  if (phases.length === 0 || unknown.length) throw new Error(`--phases must list build, ship or run (got ${options.phases})`);
  const vendor = options.vendor ?? 'acme';
  if (!/^[a-z0-9][a-z0-9-]*$/.test(vendor)) throw new Error(`--vendor must be lower-case letters, digits and dashes (got ${vendor})`);
  const alias = `@bulkhead/plugin-${name}`;
  const propertyName = names(name).propertyName;
  const description = (options.description ?? `The ${name} plugin`).replace(/'/g, '’');

  addProjectConfiguration(tree, `plugin-${name}`, {
    root,
    sourceRoot: `${root}/src`,
    projectType: 'library',
    tags: ['type:plugin', `scope:${name}`],
    targets: { typecheck: {}, test: {}, 'test-integration': {} },
  });
  tree.write(`${root}/tsconfig.json`, JSON.stringify({ extends: '../../tsconfig.base.json', include: ['src/**/*.ts'] }, null, 2) + '\n');
  tree.write(
    `${root}/package.json`,
    JSON.stringify(
      { name: alias, version: '0.1.0', private: true, description, main: './src/index.js', peerDependencies: { '@bulkhead/plugin-sdk': '^0.1.0', zod: '^4.0.0' } },
      null,
      2,
    ) + '\n',
  );
  generateFiles(tree, path.join(__dirname, 'files'), root, {
    name,
    pluginId: `${vendor}.${name}`,
    propertyName,
    kind: options.kind,
    phases: phases.map((p) => `'${p}'`).join(', '),
    description,
    tmpl: '',
  });
  updateJson(tree, 'tsconfig.base.json', (json) => {
    json.compilerOptions.paths[alias] = [`./${root}/src/index.ts`];
    return json;
  });
  registerBuiltin(tree, alias, `${propertyName}Plugin`);
  await formatFiles(tree);
}

/** Adds the plugin to builtinPluginPackages(): an import and one descriptor line. */
function registerBuiltin(tree: Tree, alias: string, exportName: string): void {
  const source = tree.read(BUILTIN_PLUGINS_FILE, 'utf8');
  if (source === null) throw new Error(`${BUILTIN_PLUGINS_FILE} is missing: cannot register the plugin with the built-ins`);
  const list = /(export function builtinPluginPackages\(\)[^]*?return \[\n)([^]*?)(\n\s*\];)/.exec(source);
  if (!list) throw new Error(`${BUILTIN_PLUGINS_FILE}: found no \`return [ ... ];\` in builtinPluginPackages() to add ${alias} to`);
  const [whole, head = '', entries = '', tail = ''] = list;
  const indent = /^(\s*)/.exec(entries)?.[1] ?? '    ';
  // A new plugin has no api or cli entry yet: both loaders answer `undefined` until it grows one.
  const entry = `${indent}builtin('${alias}', () => ${exportName}, async () => undefined, async () => undefined),`;
  const withEntry = source.replace(whole, `${head}${entries}\n${entry}${tail}`);
  // After the other plugins' imports (else after the last import).
  const pluginImports = [...withEntry.matchAll(/^import \{[^}]*\} from '@bulkhead\/plugin-(?!sdk)[^']*';$/gm)];
  const lastImport = pluginImports.pop() ?? [...withEntry.matchAll(/^import .*;$/gm)].pop();
  const at = lastImport ? (lastImport.index ?? 0) + lastImport[0].length : 0;
  tree.write(BUILTIN_PLUGINS_FILE, `${withEntry.slice(0, at)}\nimport { ${exportName} } from '${alias}';${withEntry.slice(at)}`);
}

export default pluginGenerator;
