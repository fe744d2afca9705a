import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from '@bulkhead/testing';

/**
 * `bulkhead --help` stays fast: the compiled CLI (npm run build) lists every plugin's commands
 * from their `cli` entries alone, without loading a plugin's main module or its engines.
 */
it('lists the plugin commands loading only their cli entries', async () => {
  const hook = path.join(mkdtempSync(path.join(tmpdir(), 'bulkhead-help-')), 'loaded-modules.js');
  writeFileSync(hook, "process.on('exit', () => process.stderr.write(JSON.stringify(Object.keys(require.cache))));\n");
  const { stdout, stderr } = await promisify(execFile)(process.execPath, ['-r', hook, path.join(repoRoot, 'bin', 'bulkhead.js'), '--help']);
  for (const command of ['scan', 'bench', 'runtime', 'run', 'serve', 'migrate', 'keygen', 'sign', 'verify', 'attest', 'verify-attestation', 'gate']) expect(stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
  const loaded = JSON.parse(stderr) as string[];
  // Nor the SDK's main entry (zod, semver, the task runner: ~0.2 s of the 0.3 s budget).
  expect(loaded.filter((file) => /node_modules[\\/](zod|semver)[\\/]/.test(file))).toEqual([]);
  const pluginModules = loaded.filter((file) => file.includes(`${path.sep}dist${path.sep}plugins${path.sep}`)).map((file) => path.relative(repoRoot, file));
  // The signer's entry also loads the gate's command declaration (gate/cli/gate-command: no engine).
  const expected = [...['benchmark', 'runtime', 'scanner', 'signer'].map((p) => path.join('dist', 'plugins', p, 'src', 'cli', 'cli-entry.js')), path.join('dist', 'plugins', 'signer', 'src', 'gate', 'cli', 'gate-command.js')];
  expect(pluginModules.sort()).toEqual(expected.sort());
}, 30_000);
