import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { testImageBuilder } from '@bulkhead/oci/testing';
import { describeWithRegistry, itWithMinbase, minbaseImage, testImages } from '@bulkhead/testing';
import { openImage, type OpenedImage } from '../image';
import { parsePlatform, parseRegistryReference, pullImage, pushImage, RegistryClient, staticCredentials } from './index';

/** Every file of a folder, relative path → bytes. */
function filesOf(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (sub: string): void => {
    for (const name of readdirSync(path.join(dir, sub))) {
      const rel = path.join(sub, name);
      if (statSync(path.join(dir, rel)).isDirectory()) walk(rel);
      else out.set(rel, readFileSync(path.join(dir, rel)));
    }
  };
  walk('');
  return out;
}

describeWithRegistry('push and pull through a real registry', (registry) => {
  let client: RegistryClient;
  let work: string;
  beforeAll(() => {
    client = new RegistryClient({ credentials: staticCredentials({}), retries: 1, retryBaseDelayMs: 10 });
    work = mkdtempSync(path.join(tmpdir(), 'bulkhead-copy-'));
  });
  afterAll(() => {
    client.close();
    rmSync(work, { recursive: true, force: true });
  });

  itWithMinbase('pushes minbase, pulls it back byte-identical and opens it by reference', async () => {
    const minbase = minbaseImage();
    if (!minbase) throw new Error('unreachable: itWithMinbase runs this only with the image');
    const target = parseRegistryReference(`${registry().host}/test/minbase:bookworm`);
    const pushed = await pushImage(client, `oci:${minbase.ociLayout}:${minbase.ociRef}`, target);
    expect(pushed.digest).toBe(minbase.manifestDigest);

    const out = path.join(work, 'minbase-pulled');
    const pulled = await pullImage(client, target, out);
    expect(pulled.digest).toBe(minbase.manifestDigest);
    const original = filesOf(minbase.ociLayout);
    const copy = filesOf(out);
    // Every blob (config, layers, manifest) the pull wrote is byte-identical to the original.
    const blobs = [...copy.keys()].filter((f) => f.startsWith('blobs/'));
    expect(blobs.length).toBeGreaterThanOrEqual(3);
    for (const blob of blobs) expect(copy.get(blob)?.equals(original.get(blob) ?? Buffer.alloc(0))).toBe(true);
    expect(readdirSync(work).filter((n) => n.endsWith('.tmp'))).toEqual([]);

    const fromRegistry = (await openImage(`registry:${registry().host}/test/minbase:bookworm`, { registry: client })) as OpenedImage;
    const fromLayout = (await openImage(`oci:${minbase.ociLayout}:${minbase.ociRef}`)) as OpenedImage;
    expect(fromRegistry.digest).toBe(fromLayout.digest);
    expect(fromRegistry.manifestDigests).toEqual([minbase.manifestDigest]);
    expect(fromRegistry.layers.map((l) => [l.digest, l.diffId, l.size])).toEqual(fromLayout.layers.map((l) => [l.digest, l.diffId, l.size]));
  });

  it('refuses to pull into a folder that holds something, and leaves it alone', async () => {
    const images = testImages();
    const target = parseRegistryReference(`${registry().host}/test/tiny:1`);
    await pushImage(client, `oci:${images.tinyOciLayout}:${images.tinyOciRef}`, target);
    const out = path.join(work, 'occupied');
    await pullImage(client, target, out);
    await expect(pullImage(client, target, out)).rejects.toThrow(/already exists and is not an empty folder/);
    expect(readFileSync(path.join(out, 'oci-layout'), 'utf8')).toContain('1.0.0');
  });

  it('pushes a legacy docker-archive (manifest made, config bytes kept: the same image id)', async () => {
    const images = testImages();
    const target = parseRegistryReference(`${registry().host}/test/from-archive:1`);
    await pushImage(client, `docker-archive:${images.tinyDockerArchive}`, target);
    const opened = (await openImage(`${registry().host}/test/from-archive:1`, { registry: client })) as OpenedImage;
    expect(opened.digest).toBe(images.tinyConfigDigest);
  });

  describe('a multi-platform index built from two manifests', () => {
    let layout: string;
    let amd64: string;
    let arm64: string;
    beforeAll(async () => {
      layout = path.join(work, 'multi');
      [amd64 = '', arm64 = ''] = await testImageBuilder.writeOciLayout(
        layout,
        [
          { architecture: 'amd64', layers: [{ entries: [{ name: 'etc/arch', content: 'amd64\n' }] }] },
          { architecture: 'arm64', layers: [{ entries: [{ name: 'etc/arch', content: 'arm64\n' }] }] },
        ],
        { nestedIndex: true },
      );
      await pushImage(client, `oci:${layout}:multi`, parseRegistryReference(`${registry().host}/test/multi:1`));
    });

    it('picks the requested platform, and linux/amd64 by default', async () => {
      const ref = parseRegistryReference(`${registry().host}/test/multi:1`);
      const arm = await client.resolveImage(ref, parsePlatform('linux/arm64'));
      expect(arm.digest).toBe(arm64);
      expect(arm.indexDigests).toHaveLength(1);
      expect((await client.resolveImage(ref, parsePlatform('linux/arm64/v8'))).digest).toBe(arm64);
      expect((await client.resolveImage(ref)).digest).toBe(amd64);
      const opened = (await openImage(`registry:${registry().host}/test/multi:1`, { registry: client, platform: parsePlatform('linux/arm64') })) as OpenedImage;
      expect(opened.config.architecture).toBe('arm64');
      expect(opened.manifestDigests).toEqual([arm64, arm.indexDigests[0]]);
    });

    it('names the platforms there are when the requested one is absent', async () => {
      const ref = parseRegistryReference(`${registry().host}/test/multi:1`);
      await expect(client.resolveImage(ref, parsePlatform('linux/s390x'))).rejects.toThrow(/no image for platform linux\/s390x \(available: linux\/amd64, linux\/arm64\)/);
    });

    it('pulls one platform by default and the whole index with allPlatforms', async () => {
      const ref = parseRegistryReference(`${registry().host}/test/multi:1`);
      const one = await pullImage(client, ref, path.join(work, 'multi-one'), { platform: parsePlatform('linux/arm64') });
      expect(one.digest).toBe(arm64);
      const all = await pullImage(client, ref, path.join(work, 'multi-all'), { allPlatforms: true });
      const index = JSON.parse(readFileSync(path.join(work, 'multi-all', 'index.json'), 'utf8')) as { manifests: { digest: string; mediaType: string }[] };
      expect(index.manifests[0]).toMatchObject({ digest: all.digest, mediaType: 'application/vnd.oci.image.index.v1+json' });
      // The pulled index layout opens (for the default platform) like the original.
      const reopened = (await openImage(`oci:${path.join(work, 'multi-all')}:1`)) as OpenedImage;
      expect(reopened.manifestDigest).toBe(amd64);
      expect(filesOf(path.join(work, 'multi-all')).get(`blobs/sha256/${all.digest.slice(7)}`)?.equals(filesOf(layout).get(`blobs/sha256/${all.digest.slice(7)}`) ?? Buffer.alloc(0))).toBe(true);
    });
  });
});
