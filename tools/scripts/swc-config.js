// Prints the swc configuration of the build: .swcrc with its `paths` taken from
// tsconfig.base.json, so a path alias (e.g. `@bulkhead/plugin-sdk/cli`) is declared in one place
// and the build rewrites every alias TypeScript and Jest know. Usage: node swc-config.js > file
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..', '..');
const swcrc = JSON.parse(fs.readFileSync(path.join(root, '.swcrc'), 'utf8'));
const { paths } = JSON.parse(fs.readFileSync(path.join(root, 'tsconfig.base.json'), 'utf8')).compilerOptions;
swcrc.jsc.baseUrl = root;
swcrc.jsc.paths = paths;
process.stdout.write(JSON.stringify(swcrc, null, 2));
