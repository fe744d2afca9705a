// Stages the installable `bulkhead` command in dist/cli-package and packs it with `npm pack`
// (pack-cli.sh runs the build first). Usage: node pack-cli.js [--out DIR]  -> prints the
// tarball's path (default: dist/packages/bulkhead-<version>.tgz, staged in dist/cli-package).
//
// What ships: bin/bulkhead.js, the compiled code of apps/, libs/ and plugins/ (dist/, made by
// `npm run build`: swc has rewritten the @bulkhead/* aliases to relative requires, so no
// workspace package needs resolving), and every runtime dependency, bundled
// (`bundleDependencies`): `npm install -g bulkhead-<version>.tgz` then needs no registry at all
// (an air-gapped CI runner, a machine behind a proxy), and better-sqlite3's native binding is
// the one compiled for this platform by `npm ci` (the tarball is for the platform it was packed
// on, like any package carrying a native module). Tests, sources, bench/ and tools/ stay out.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const root = path.join(__dirname, '..', '..');
// `--out DIR`: stage and pack there (tests, so that parallel runs never share a folder).
const outIndex = process.argv.indexOf('--out');
const out = outIndex > 0 ? path.resolve(process.argv[outIndex + 1] ?? '') : path.join(root, 'dist');
const stage = path.join(out, 'cli-package');
const rootPackage = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const lock = JSON.parse(fs.readFileSync(path.join(root, 'package-lock.json'), 'utf8'));

const compiled = path.join(root, 'dist', 'apps', 'cli', 'src', 'main.js');
if (!fs.existsSync(compiled)) {
  process.stderr.write(`pack-cli: ${path.relative(root, compiled)} is missing: run npm run build first\n`);
  process.exit(1);
}

fs.rmSync(stage, { recursive: true, force: true });
fs.mkdirSync(stage, { recursive: true });

// The compiled code, without anything a user does not run.
for (const dir of ['apps', 'libs', 'plugins']) {
  fs.cpSync(path.join(root, 'dist', dir), path.join(stage, 'dist', dir), {
    recursive: true,
    filter: (src) => !/\.(spec|int-spec)\.js$/.test(src) && !src.split(path.sep).includes('fixtures'),
  });
}
fs.mkdirSync(path.join(stage, 'bin'));
fs.copyFileSync(path.join(root, 'bin', 'bulkhead.js'), path.join(stage, 'bin', 'bulkhead.js'));
fs.chmodSync(path.join(stage, 'bin', 'bulkhead.js'), 0o755);
fs.copyFileSync(path.join(root, 'README.md'), path.join(stage, 'README.md'));

/**
 * The installed runtime dependencies (top-level entries of the lock that are not dev-only, and
 * present: optional ones of other platforms are not), hard-linked when the file system allows
 * (no copy of 190 MB), copied otherwise.
 */
const production = Object.entries(lock.packages)
  .filter(([key, entry]) => key.startsWith('node_modules/') && !key.slice('node_modules/'.length).includes('node_modules/') && !entry.dev)
  .map(([key]) => key)
  .filter((key) => fs.existsSync(path.join(root, key)));
for (const key of production) {
  const target = path.join(stage, key);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  try {
    execFileSync('cp', ['-al', path.join(root, key), target]);
  } catch {
    fs.cpSync(path.join(root, key), target, { recursive: true });
  }
}

/**
 * What Node never loads at run time: type declarations, source maps, TypeScript sources and
 * documents (licences stay). Half of the bundle's files: they would only slow every install.
 * Removing a staged file removes a link, never the workspace's file.
 */
const UNUSED_AT_RUN_TIME = /(\.d\.[cm]?ts|\.map|\.ts|\.md)$/;
function prune(dir) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) prune(full);
    else if (entry.isFile() && UNUSED_AT_RUN_TIME.test(entry.name) && !/^licen[cs]e/i.test(entry.name)) fs.rmSync(full);
  }
}
prune(path.join(stage, 'node_modules'));

/**
 * Bundled packages are shipped as `npm ci` installed them here, native bindings included: their
 * install scripts (prebuild-install / node-gyp, which would download or compile for minutes, and
 * fail offline) must not run again on the user's machine, and a binding.gyp would make npm run
 * `node-gyp rebuild` by default. Their manifests are rewritten (after unlinking: they are hard
 * links into the workspace's node_modules) to ship the compiled `build/Release/*.node` instead
 * of the C sources.
 */
const INSTALL_SCRIPTS = ['preinstall', 'install', 'postinstall'];
for (const key of production) {
  const dir = path.join(stage, key);
  const manifestFile = path.join(dir, 'package.json');
  const pkg = JSON.parse(fs.readFileSync(manifestFile, 'utf8'));
  const scripts = pkg.scripts ?? {};
  const native = fs.existsSync(path.join(dir, 'binding.gyp'));
  if (!native && !INSTALL_SCRIPTS.some((s) => scripts[s])) continue;
  for (const s of INSTALL_SCRIPTS) delete scripts[s];
  if (native) {
    const release = path.join(dir, 'build', 'Release');
    const bindings = fs.existsSync(release) ? fs.readdirSync(release).filter((f) => f.endsWith('.node') && !f.startsWith('test')) : [];
    pkg.gypfile = false;
    if (Array.isArray(pkg.files)) pkg.files = pkg.files.filter((f) => !/^(binding\.gyp|src\/|deps\/)/.test(f));
    else pkg.files = fs.readdirSync(dir).filter((f) => !['binding.gyp', 'src', 'deps', 'build'].includes(f));
    pkg.files.push(...bindings.map((b) => `build/Release/${b}`));
    fs.rmSync(path.join(dir, 'binding.gyp'));
  }
  fs.rmSync(manifestFile);
  fs.writeFileSync(manifestFile, `${JSON.stringify(pkg, null, 2)}\n`);
}

const manifest = {
  name: 'bulkhead',
  version: rootPackage.version,
  description: rootPackage.description,
  license: rootPackage.license,
  engines: rootPackage.engines,
  bin: { bulkhead: 'bin/bulkhead.js' },
  files: ['bin/', 'dist/', 'README.md'],
  dependencies: rootPackage.dependencies,
  bundleDependencies: Object.keys(rootPackage.dependencies),
};
fs.writeFileSync(path.join(stage, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);

const destination = path.join(out, 'packages');
fs.mkdirSync(destination, { recursive: true });
const file = execFileSync('npm', ['pack', '--silent', '--pack-destination', destination], { cwd: stage, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
  .trim()
  .split('\n')
  .pop();
process.stdout.write(`${path.join(destination, file)}\n`);
