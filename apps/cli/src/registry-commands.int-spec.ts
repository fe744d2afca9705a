import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describeWithRegistry, minbaseImage, itWithMinbase, testImages } from '@bulkhead/testing';
import { runCli } from './main';

/** Runs the CLI in-process and captures what it prints. */
async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(['node', 'bulkhead', ...args], { out: (t) => (out += t), err: (t) => (err += t) });
  return { code, out, err };
}

interface JsonReport {
  artifact: { digest: string; manifestDigests: string[]; references: string[] };
  packages: { name: string; version: string; layer: string }[];
}

describeWithRegistry('bulkhead push / pull / scan <registry ref>', (registry) => {
  let work: string;
  let cacheDir: string;
  beforeAll(() => {
    work = mkdtempSync(path.join(tmpdir(), 'bh-cli-registry-'));
    // An empty cache folder: no advisory database, whatever the user running the tests has.
    cacheDir = mkdtempSync(path.join(tmpdir(), 'bh-cli-cache-'));
  });
  afterAll(() => {
    rmSync(work, { recursive: true, force: true });
    rmSync(cacheDir, { recursive: true, force: true });
  });

  itWithMinbase(
    'pushes minbase, pulls it back byte-identical, and scans it by reference with the same result as the layout',
    async () => {
      const minbase = minbaseImage();
      if (!minbase) throw new Error('unreachable: itWithMinbase runs this only with the image');
      const ref = `${registry().host}/test/minbase:bookworm`;
      const pushed = await cli('push', `oci:${minbase.ociLayout}:${minbase.ociRef}`, ref);
      expect(pushed.err).not.toMatch(/bulkhead:/);
      expect(pushed.code).toBe(0);
      expect(pushed.out.trim()).toBe(`${registry().host}/test/minbase:bookworm@${minbase.manifestDigest}`);

      const out = path.join(work, 'pulled');
      const pulled = await cli('pull', `registry:${ref}`, `oci:${out}`);
      expect(pulled.code).toBe(0);
      for (const hex of readdirSync(path.join(out, 'blobs', 'sha256'))) {
        expect(readFileSync(path.join(out, 'blobs', 'sha256', hex)).equals(readFileSync(path.join(minbase.ociLayout, 'blobs', 'sha256', hex)))).toBe(true);
      }

      const fromRegistry = await cli('scan', ref, '--format', 'json', '--cache-dir', cacheDir, '--scanners', 'secret');
      const fromLayout = await cli('scan', `oci:${minbase.ociLayout}:${minbase.ociRef}`, '--format', 'json', '--cache-dir', cacheDir, '--scanners', 'secret');
      expect(fromRegistry.err).not.toMatch(/bulkhead:/);
      expect(fromRegistry.code).toBe(0);
      const a = JSON.parse(fromRegistry.out) as JsonReport;
      const b = JSON.parse(fromLayout.out) as JsonReport;
      expect(a.artifact.digest).toBe(b.artifact.digest);
      expect(a.artifact.manifestDigests).toEqual([minbase.manifestDigest]);
      expect(a.artifact.references).toContain(ref);
      expect(a.packages.length).toBeGreaterThan(50);
      expect(a.packages).toEqual(b.packages);
    },
    120_000,
  );

  it('scans the tiny image by registry: reference with --platform, and refuses a platform the image is not', async () => {
    const images = testImages();
    const ref = `${registry().host}/test/tiny:1`;
    expect((await cli('push', `docker-archive:${images.tinyDockerArchive}`, ref)).code).toBe(0);
    const ok = await cli('scan', `registry:${ref}`, '--platform', 'linux/amd64', '--format', 'json', '--cache-dir', cacheDir);
    expect(ok.err).not.toMatch(/bulkhead:/);
    expect(ok.code).toBe(0);
    expect((JSON.parse(ok.out) as JsonReport).artifact.digest).toBe(images.tinyConfigDigest);
    // push and pull print their result line to --output FILE (0600); --quiet drops the per-blob notices.
    const pushReport = path.join(work, 'push.txt');
    const noisy = await cli('push', `docker-archive:${images.tinyDockerArchive}`, `${registry().host}/test/tiny:2`);
    expect(noisy.err).toMatch(/blob +sha256:[0-9a-f]{64} \(\d+ bytes\)/);
    const quiet = await cli('push', `docker-archive:${images.tinyDockerArchive}`, `${registry().host}/test/tiny:2`, '--output', pushReport, '--quiet');
    expect(quiet).toEqual({ code: 0, out: '', err: '' });
    expect(statSync(pushReport).mode & 0o777).toBe(0o600);
    expect(readFileSync(pushReport, 'utf8')).toBe(`${noisy.out.trim()}\n`);
    const pullReport = path.join(work, 'pull.txt');
    const pulled = await cli('pull', `${registry().host}/test/tiny:2`, `oci:${path.join(work, 'tiny-quiet')}`, '--output', pullReport, '--quiet');
    expect(pulled).toEqual({ code: 0, out: '', err: '' });
    expect(statSync(pullReport).mode & 0o777).toBe(0o600);
    expect(readFileSync(pullReport, 'utf8')).toMatch(/^sha256:[0-9a-f]{64} -> oci:.*tiny-quiet:2 \(\d+ blobs, \d+ bytes\)\n$/);
    const wrong = await cli('scan', `registry:${ref}`, '--platform', 'linux/arm64', '--cache-dir', cacheDir);
    expect(wrong.code).toBe(1);
    expect(wrong.err).toMatch(/the image is linux\/amd64, not the requested linux\/arm64/);
    const bad = await cli('scan', `registry:${ref}`, '--platform', 'amd64', '--cache-dir', cacheDir);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--platform: platform "amd64": expected os\/arch\[\/variant\]/);
  });

  it('says clearly what is wrong with a bad reference, a missing image and a bad destination', async () => {
    const badRef = await cli('pull', `${registry().host}/Bad/Name:1`, `oci:${path.join(work, 'x')}`);
    expect(badRef.code).toBe(1);
    expect(badRef.err).toMatch(/repository component "Bad" is not valid/);
    const missing = await cli('pull', `${registry().host}/test/absent:1`, `oci:${path.join(work, 'y')}`);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/manifest .*test\/absent:1.*404.*MANIFEST_UNKNOWN/);
    const dest = await cli('pull', `${registry().host}/test/tiny:1`, path.join(work, 'z'));
    expect(dest.code).toBe(2);
    expect(dest.err).toMatch(/the destination must be oci:<dir>/);
  });
});
