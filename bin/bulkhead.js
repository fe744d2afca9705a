#!/usr/bin/env node
// The `bulkhead` command. Runs the compiled CLI from dist/ (npm run build).
'use strict';
const path = require('node:path');
const fs = require('node:fs');

const main = path.join(__dirname, '..', 'dist', 'apps', 'cli', 'src', 'main.js');
if (!fs.existsSync(main)) {
  process.stderr.write(`bulkhead: ${path.relative(process.cwd(), main)} is missing: run "npm run build" first\n`);
  process.exit(2);
}
// `bulkhead scan ... | head` closes the pipe early: that is the reader's choice, not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}
require(main)
  .runCli(process.argv)
  .then((code) => {
    process.exitCode = code;
  });
