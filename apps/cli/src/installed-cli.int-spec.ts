import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { itWithMinbase, minbaseImage, repoRoot } from '@bulkhead/testing';

const run = promisify(execFile);

/**
 * `bulkhead` as a user installs it: the packed package (tools/scripts/pack-cli.js, over what
 * `npm run build` compiled) installed with `npm install -g --prefix` into an empty folder,
 * offline and with a registry that does not answer (the package carries its dependencies), then
 * run from a folder outside the repository.
 */
describe('the packed CLI, installed globally into a fresh prefix', () => {
  const work = mkdtempSync(path.join(tmpdir(), 'bulkhead-install-'));
  const prefix = path.join(work, 'prefix');
  const elsewhere = path.join(work, 'elsewhere');
  const bin = path.join(prefix, 'bin', 'bulkhead');

  async function bulkhead(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    try {
      const { stdout, stderr } = await run(bin, args, { cwd: elsewhere, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, NO_COLOR: '1' } });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const failed = error as { code?: number; stdout?: string; stderr?: string };
      return { code: typeof failed.code === 'number' ? failed.code : -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
    }
  }

  beforeAll(async () => {
    if (!existsSync(path.join(repoRoot, 'dist', 'apps', 'cli', 'src', 'main.js'))) throw new Error('dist/ is not built: run npm run build (npm test does) before this suite');
    const { stdout } = await run(process.execPath, [path.join(repoRoot, 'tools', 'scripts', 'pack-cli.js'), '--out', path.join(work, 'pack')], { maxBuffer: 16 * 1024 * 1024 });
    const tarball = stdout.trim();
    expect(path.basename(tarball)).toMatch(/^bulkhead-\d+\.\d+\.\d+\.tgz$/);
    // The staging folder is only needed to pack: drop it before installing (it is 100 MB).
    rmSync(path.join(work, 'pack', 'cli-package'), { recursive: true, force: true });
    await run('npm', ['install', '-g', '--prefix', prefix, tarball, '--offline', '--no-audit', '--no-fund', '--loglevel=error'], {
      cwd: work,
      // Nothing may come from a registry: the one configured does not exist.
      env: { ...process.env, npm_config_registry: 'http://127.0.0.1:9/', npm_config_cache: path.join(work, 'npm-cache') },
      maxBuffer: 16 * 1024 * 1024,
    });
    mkdirSync(elsewhere);
    writeFileSync(path.join(elsewhere, 'pod.yaml'), 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n  - name: c\n    image: nginx:1.25\n    securityContext:\n      privileged: true\n');
  }, 600_000);

  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('installs an executable `bulkhead` whose package holds the compiled CLI, not the sources or tests', () => {
    expect(statSync(bin).mode & 0o111).not.toBe(0);
    const installed = path.join(prefix, 'lib', 'node_modules', 'bulkhead');
    expect(readdirSync(installed).sort()).toEqual(['README.md', 'bin', 'dist', 'node_modules', 'package.json']);
    expect(readdirSync(path.join(installed, 'dist')).sort()).toEqual(['apps', 'libs', 'plugins']);
    // The native SQLite binding came in the package: no compiler ran, nothing was downloaded.
    expect(existsSync(path.join(installed, 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node'))).toBe(true);
  });

  it('answers --help from another folder', async () => {
    const { code, stdout } = await bulkhead('--help');
    expect(code).toBe(0);
    for (const command of ['scan', 'bench', 'runtime', 'db', 'serve']) expect(stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
  });

  it('runs bench k8s on a manifest in that folder', async () => {
    const { code, stdout } = await bulkhead('bench', 'k8s', 'pod.yaml', '--format', 'json', '--exit-code', '4');
    expect(code).toBe(4);
    const report = JSON.parse(stdout) as { results: { checkId: string; status: string; file?: string }[] };
    expect(report.results).toContainEqual(expect.objectContaining({ checkId: 'privileged', status: 'FAIL', file: 'pod.yaml' }));
  });

  itWithMinbase('scans the minbase image', async () => {
    const archive = minbaseImage()?.dockerArchive ?? '';
    const { code, stdout, stderr } = await bulkhead('scan', `docker-archive:${archive}`, '--format', 'json', '--cache-dir', path.join(work, 'cache'));
    expect({ code, stderr: stderr.replace(/^warning: vulnerabilities not checked.*\n/m, '') }).toEqual({ code: 0, stderr: '' });
    const report = JSON.parse(stdout) as { artifact: { os: { family: string } }; packages: { type: string; name: string }[] };
    expect(report.artifact.os.family).toBe('debian');
    expect(report.packages).toContainEqual(expect.objectContaining({ type: 'deb', name: 'dpkg' }));
  });
});
