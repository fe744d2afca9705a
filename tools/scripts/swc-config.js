// Prints the swc configuration of the build: .swcrc with its `paths` taken from
// tsconfig.base.json, so a path alias (e.g. `@bulkhead/plugin-sdk/cli`) is declared in one place
// and the build rewrites every alias TypeScript and Jest know. Usage: node swc-config.js > file
//
// The list of built-in plugins (libs/builtin-plugins/src/builtin-plugins.ts) is compiled with
// lazy imports: a built-in plugin's main module (its task handlers, and the engines they
// import) loads when its `plugin` is first used, so `bulkhead --help`, which needs only the
// plugins' `cli` entries, loads no engine. The plugin loader (load-plugins.ts, host-singletons.ts) too: its SDK
// imports (PluginRegistry, validatePlugin: the SDK's main entry, with zod, ~0.2 s) load when a
// registry is built, not when the CLI only lists the plugins' commands. Every other file keeps
// ordinary, eager imports.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..', '..');
const swcrc = JSON.parse(fs.readFileSync(path.join(root, '.swcrc'), 'utf8'));
const { paths } = JSON.parse(fs.readFileSync(path.join(root, 'tsconfig.base.json'), 'utf8')).compilerOptions;
delete swcrc.$schema;
swcrc.jsc.baseUrl = root;
swcrc.jsc.paths = paths;

const LAZY_IMPORTS = 'libs/builtin-plugins/src/(builtin-plugins|load-plugins|host-singletons)\\.ts$';
const configs = [
  { ...swcrc, test: LAZY_IMPORTS, module: { ...swcrc.module, lazy: true } },
  { ...swcrc, exclude: [LAZY_IMPORTS] },
];
process.stdout.write(JSON.stringify(configs, null, 2));
