import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The architecture's dependency rules are enforced by lint (eslint.config.mjs, Nx tags). These
 * cases plant violations in memory (nothing is written) and check that lint refuses them, so a
 * rule that silently allows everything fails here.
 */
const root = path.resolve(__dirname, '../../..');

/**
 * The boundary rule reads Nx's cached project graph and, when there is none (a fresh clone
 * where no `nx` command ran yet), skips itself with only a warning. Computing the graph first
 * makes the rule run, and sees the projects as they are now.
 */
function computeProjectGraph(): void {
  const nxPackage = path.dirname(require.resolve('nx/package.json', { paths: [root] }));
  const { bin } = JSON.parse(readFileSync(path.join(nxPackage, 'package.json'), 'utf8')) as { bin: Record<string, string> };
  execFileSync(process.execPath, [path.join(nxPackage, bin['nx'] ?? 'bin/nx.js'), 'show', 'projects'], { cwd: root, env: { ...process.env, NX_DAEMON: 'false' }, stdio: 'ignore' });
}

/** Lints `source` as if it were `file` (via stdin: ESLint loads its .mjs config outside Jest's VM). */
async function boundaryErrors(file: string, source: string): Promise<string[]> {
  const eslint = spawnSync(process.execPath, [path.join(root, 'node_modules/eslint/bin/eslint.js'), '--stdin', '--stdin-filename', path.join(root, file), '--format', 'json'], {
    cwd: root,
    input: source,
    encoding: 'utf8',
    env: { ...process.env, NX_DAEMON: 'false' },
  });
  if (eslint.stdout.includes('No cached ProjectGraph')) throw new Error('lint skipped the module-boundary rule: Nx has no cached project graph');
  const [result] = JSON.parse(eslint.stdout) as { messages: { ruleId: string | null; message: string }[] }[];
  return (result?.messages ?? []).filter((m) => m.ruleId === '@nx/enforce-module-boundaries').map((m) => m.message);
}

describe('Nx module boundaries', () => {
  jest.setTimeout(60_000);
  beforeAll(computeProjectGraph);

  it('forbids a plugin to import an app-level library or another plugin', async () => {
    const errors = await boundaryErrors(
      'plugins/scanner/src/probe.ts',
      "import { startApi } from '@bulkhead/api';\nimport { runtimePlugin } from '@bulkhead/plugin-runtime';\nexport const probe = [startApi, runtimePlugin];\n",
    );
    // @bulkhead/api is a type:host library (it hosts plugins); a plugin may use neither it nor
    // another plugin.
    expect(errors).toEqual([
      'A project tagged with "type:plugin" can only depend on libs tagged with "type:lib"',
      'A project tagged with "type:plugin" can only depend on libs tagged with "type:lib"',
    ]);
  });

  it('keeps the plugin SDK free of the rest of the workspace', async () => {
    const errors = await boundaryErrors('libs/plugin-sdk/src/probe.ts', "import { createLogger } from '@bulkhead/common';\nexport const probe = createLogger;\n");
    expect(errors).toEqual(['A project tagged with "scope:sdk" can only depend on libs tagged with "scope:sdk"']);
  });

  it('forbids a library to import a plugin', async () => {
    const errors = await boundaryErrors('libs/common/src/probe.ts', "import { scannerPlugin } from '@bulkhead/plugin-scanner';\nexport const probe = scannerPlugin;\n");
    expect(errors[0]).toBe('A project tagged with "type:lib" can only depend on libs tagged with "type:lib"');
  });

  it('allows an app to use plugins and libraries', async () => {
    const errors = await boundaryErrors('apps/cli/src/probe.ts', "import { scannerPlugin } from '@bulkhead/plugin-scanner';\nimport { createLogger } from '@bulkhead/common';\nexport const probe = [scannerPlugin, createLogger];\n");
    expect(errors).toEqual([]);
  });
});
