import { startTestPlatform, type TestPlatform } from '@bulkhead/api/testing';
import { builtinPluginPackages, registryOf } from '@bulkhead/builtin-plugins';
import { ServerInputPolicy } from '@bulkhead/queue';
import { testImages } from '@bulkhead/testing';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runCli } from '../main';

/*
 * `bulkhead scan docker-archive:<local file> --server URL --upload`, in process against the real
 * API and worker: the file is uploaded first and the server scans the upload. The server's
 * allowed paths do not include the archive's folder, so without --upload the same scan is refused.
 */
jest.setTimeout(90_000);

let platform: TestPlatform;
let dir = '';

async function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(['node', 'bulkhead', ...argv], { out: (t) => void (out += t.endsWith('\n') ? t : `${t}\n`), err: (t) => void (err += t.endsWith('\n') ? t : `${t}\n`) });
  return { code, out, err };
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'bulkhead-cli-upload-'));
  mkdirSync(path.join(dir, 'allowed'));
  const plugins = builtinPluginPackages();
  platform = await startTestPlatform({
    label: 'cli_upload',
    registry: registryOf(plugins),
    plugins,
    kinds: ['scanner'],
    inputs: new ServerInputPolicy({ allowedPaths: [path.join(dir, 'allowed')], uploadDir: path.join(dir, 'uploads') }),
  });
});

afterAll(async () => {
  await platform?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('scan --server --upload', () => {
  it('uploads the local docker-archive and prints the same inventory as an inline scan', async () => {
    const { url } = platform.api;
    const target = `docker-archive:${testImages().tinyDockerArchive}`;
    const refused = await cli(['scan', '--server', url, '--token', platform.adminToken, target]);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/is outside the folders this server allows/);

    const remote = await cli(['scan', '--server', url, '--token', platform.adminToken, '--upload', target, '--format', 'json']);
    expect(remote.err).toMatch(/^uploaded .*docker-archive\.tar \(\d+ bytes, sha256 [0-9a-f]{64}\) as upload:[0-9a-f-]{36}$/m);
    expect(remote.code).toBe(0);
    const inline = await cli(['scan', target, '--format', 'json']);
    expect(inline.code).toBe(0);
    const packagesOf = (out: string) => (JSON.parse(out) as { packages: { name: string; version: string }[] }).packages.map((p) => `${p.name}@${p.version}`).sort();
    expect(packagesOf(remote.out)).toEqual(packagesOf(inline.out));
    expect(packagesOf(remote.out).length).toBeGreaterThan(0);
  });

  it('--upload is a usage error without --server or for a target that is not a docker-archive', async () => {
    expect((await cli(['scan', '--upload', `docker-archive:${testImages().tinyDockerArchive}`])).code).toBe(2);
    const oci = await cli(['scan', '--server', platform.api.url, '--token', platform.adminToken, '--upload', `oci:${testImages().tinyOciLayout}`]);
    expect(oci.code).toBe(2);
    expect(oci.err).toMatch(/--upload takes a docker-archive:<file> target/);
    const missing = await cli(['scan', '--server', platform.api.url, '--token', platform.adminToken, '--upload', `docker-archive:${path.join(dir, 'nope.tar')}`]);
    expect(missing).toMatchObject({ code: 1, err: expect.stringMatching(/cannot upload .*nope\.tar: ENOENT/) });
  });
});
