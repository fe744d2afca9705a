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
async function lintMessages(file: string, source: string, ruleId: string): Promise<string[]> {
  const eslint = spawnSync(process.execPath, [path.join(root, 'node_modules/eslint/bin/eslint.js'), '--stdin', '--stdin-filename', path.join(root, file), '--format', 'json'], {
    cwd: root,
    input: source,
    encoding: 'utf8',
    env: { ...process.env, NX_DAEMON: 'false' },
  });
  if (eslint.stdout.includes('No cached ProjectGraph')) throw new Error('lint skipped the module-boundary rule: Nx has no cached project graph');
  const [result] = JSON.parse(eslint.stdout) as { messages: { ruleId: string | null; message: string }[] }[];
  if (!result) throw new Error(`eslint gave no result for ${file}: ${eslint.stderr}`);
  return result.messages.filter((m) => m.ruleId === ruleId).map((m) => m.message);
}

const boundaryErrors = (file: string, source: string) => lintMessages(file, source, '@nx/enforce-module-boundaries');

describe('Nx module boundaries', () => {
  jest.setTimeout(60_000);
  beforeAll(computeProjectGraph);

  it('forbids a plugin to import the host library or another plugin', async () => {
    const errors = await boundaryErrors(
      'plugins/scanner/src/probe.ts',
      "import { startApi } from '@bulkhead/api';\nimport { runtimePlugin } from '@bulkhead/plugin-runtime';\nexport const probe = [startApi, runtimePlugin];\n",
    );
    expect(errors).toEqual([
      'A project tagged with "type:plugin" can only depend on libs tagged with "scope:sdk", "type:plugin-support"',
      'A project tagged with "type:plugin" can only depend on libs tagged with "scope:sdk", "type:plugin-support"',
    ]);
  });

  it('forbids a plugin to import the core libraries and the API host (persistence, queue, worker, common, api)', async () => {
    const errors = await boundaryErrors(
      'plugins/benchmark/src/probe.ts',
      [
        "import { ResultWriter } from '@bulkhead/persistence';",
        "import { createRedis } from '@bulkhead/queue';",
        "import { startWorker } from '@bulkhead/worker';",
        "import { createLogger } from '@bulkhead/common';",
        "import { startApi } from '@bulkhead/api';",
        'export const probe = [ResultWriter, createRedis, startWorker, createLogger, startApi];',
      ].join('\n'),
    );
    expect(errors).toHaveLength(5);
    for (const e of errors) expect(e).toBe('A project tagged with "type:plugin" can only depend on libs tagged with "scope:sdk", "type:plugin-support"');
  });

  it('lets a plugin use the SDK and the plugin-support libraries', async () => {
    const errors = await boundaryErrors(
      'plugins/scanner/src/probe.ts',
      [
        "import { definePlugin } from '@bulkhead/plugin-sdk';",
        "import { HOST_TASKS } from '@bulkhead/plugin-sdk/api';",
        "import type { CliHost } from '@bulkhead/plugin-sdk/cli';",
        "import { openImage } from '@bulkhead/oci';",
        'export const probe: [unknown, unknown, unknown, CliHost?] = [definePlugin, HOST_TASKS, openImage];',
      ].join('\n'),
    );
    expect(errors).toEqual([]);
  });

  it('forbids the host library to import a plugin (no type:host exception)', async () => {
    const errors = await boundaryErrors('libs/api/src/probe.ts', "import { scannerPlugin } from '@bulkhead/plugin-scanner';\nexport const probe = scannerPlugin;\n");
    expect(errors).toEqual(['A project tagged with "type:host" can only depend on libs tagged with "type:lib", "type:plugin-support"']);
  });

  it('keeps test helpers out of production code, and lets tests use them', async () => {
    const source = "import { testImageBuilder } from '@bulkhead/oci/testing';\nexport const probe = testImageBuilder;\n";
    expect(await lintMessages('plugins/scanner/src/probe.ts', source, 'no-restricted-imports')).toHaveLength(1);
    expect(await lintMessages('plugins/scanner/src/probe.spec.ts', source, 'no-restricted-imports')).toEqual([]);
  });

  it('refuses an import cycle', async () => {
    // libs/oci/src/index.ts re-exports digest.ts; digest.ts importing the index closes a cycle.
    const errors = await lintMessages('libs/oci/src/digest.ts', "import { openImage } from './index';\nexport const probe = openImage;\n", 'import-x/no-cycle');
    expect(errors).toEqual(['Dependency cycle detected']);
  });

  it('keeps the plugin SDK free of the rest of the workspace', async () => {
    const errors = await boundaryErrors('libs/plugin-sdk/src/probe.ts', "import { createLogger } from '@bulkhead/common';\nexport const probe = createLogger;\n");
    expect(errors).toEqual(['A project tagged with "scope:sdk" can only depend on libs tagged with "scope:sdk"']);
  });

  it('forbids a library to import a plugin', async () => {
    const errors = await boundaryErrors('libs/common/src/probe.ts', "import { scannerPlugin } from '@bulkhead/plugin-scanner';\nexport const probe = scannerPlugin;\n");
    expect(errors[0]).toBe('A project tagged with "type:lib" can only depend on libs tagged with "type:lib", "type:plugin-support"');
  });

  it('allows an app to use plugins and libraries', async () => {
    const errors = await boundaryErrors('apps/cli/src/probe.ts', "import { scannerPlugin } from '@bulkhead/plugin-scanner';\nimport { createLogger } from '@bulkhead/common';\nexport const probe = [scannerPlugin, createLogger];\n");
    expect(errors).toEqual([]);
  });
});
