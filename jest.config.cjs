// One Jest configuration for the whole workspace, with two projects:
//   unit        - *.spec.ts beside the code; no network services.
//   integration - *.int-spec.ts; talk to the real Postgres and Redis
//                 (DATABASE_URL / REDIS_URL, defaults: the local services).
// Nx targets (`test`, `test-integration`) run the same config filtered to one
// project root, so a single `jest` run can also report totals for CI.
const fs = require('node:fs');
const path = require('node:path');

// The path aliases have one source, tsconfig.base.json (the build takes them from there too:
// tools/scripts/swc-config.js); swc resolves them itself given an absolute baseUrl.
const tsPaths = JSON.parse(fs.readFileSync(path.join(__dirname, 'tsconfig.base.json'), 'utf8')).compilerOptions.paths;
const swcrc = JSON.parse(fs.readFileSync(path.join(__dirname, '.swcrc'), 'utf8'));
delete swcrc.$schema;
swcrc.jsc.baseUrl = __dirname;
swcrc.jsc.paths = tsPaths;
swcrc.sourceMaps = 'inline';

const moduleNameMapper = Object.fromEntries(
  Object.entries(tsPaths).map(([alias, [target]]) => [`^${alias}$`, path.join(__dirname, target)]),
);

// Packages published only as ES modules. Node 20 loads them with require(esm), Jest's module
// system does not (before Node 24.9), so Jest compiles them to CommonJS like our own sources.
const esmOnlyPackages = ['@kubernetes/client-node', 'openid-client', 'oauth4webapi', 'jose'];

const common = {
  rootDir: __dirname,
  testEnvironment: 'node',
  transform: {
    '^.+\\.ts$': ['@swc/jest', { ...swcrc, swcrc: false }],
    '^.+\\.m?js$': ['@swc/jest', { swcrc: false, jsc: { target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  transformIgnorePatterns: [`/node_modules/(?!(${esmOnlyPackages.join('|')})/)`],
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper,
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  // Builds the tiny test image in-process (libs/testing); tests find it through testImages().
  globalSetup: '<rootDir>/libs/testing/src/jest-global-setup.ts',
  // dist/ holds compiled copies of every package.json (npm run build): not modules of the workspace.
  modulePathIgnorePatterns: ['<rootDir>/dist/', '<rootDir>/tmp/'],
};

module.exports = {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/{apps,libs,plugins,tools}/**/*.spec.ts'] },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/{apps,libs,plugins,tools}/**/*.int-spec.ts'],
      setupFilesAfterEnv: ['<rootDir>/libs/testing/src/integration-timeout.ts'],
    },
  ],
};
