import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { BadInputError } from '@bulkhead/plugin-sdk';
import { describeWithRegistry, testImages } from '@bulkhead/testing';
import { RegistryClient, staticCredentials, type Descriptor, type RegistryRepository } from './index';

const sha256 = (data: Buffer | string): string => `sha256:${createHash('sha256').update(data).digest('hex')}`;

function readLayout(dir: string, ref: string): { manifest: Buffer; manifestDescriptor: Descriptor; blobs: Descriptor[] } {
  const index = JSON.parse(readFileSync(path.join(dir, 'index.json'), 'utf8')) as { manifests: (Descriptor & { annotations?: Record<string, string> })[] };
  const entry = index.manifests.find((m) => m.annotations?.['org.opencontainers.image.ref.name'] === ref);
  if (!entry) throw new Error(`no ${ref} in ${dir}`);
  const blob = (digest: string): Buffer => readFileSync(path.join(dir, 'blobs', 'sha256', digest.slice('sha256:'.length)));
  const manifest = blob(entry.digest);
  const json = JSON.parse(manifest.toString('utf8')) as { config: Descriptor; layers: Descriptor[] };
  return { manifest, manifestDescriptor: entry, blobs: [json.config, ...json.layers] };
}

describeWithRegistry('RegistryClient against distribution (no auth)', (registry) => {
  const noCredentials = staticCredentials({});
  let client: RegistryClient;
  beforeAll(() => {
    client = new RegistryClient({ credentials: noCredentials, retries: 1, retryBaseDelayMs: 10 });
  });
  afterAll(() => client.close());

  const repo = (repository: string): RegistryRepository => ({ registry: registry().host, repository });

  it('pushes the tiny image (blobs and manifest) and reads every byte back unchanged', async () => {
    const images = testImages();
    const { manifest, manifestDescriptor, blobs } = readLayout(images.tinyOciLayout, images.tinyOciRef);
    const target = repo('test/tiny');
    for (const d of blobs) {
      const bytes = readFileSync(path.join(images.tinyOciLayout, 'blobs', 'sha256', d.digest.slice(7)));
      await client.pushBlob(target, bytes, d.digest, d.size);
      expect(await client.hasBlob(target, d.digest)).toBe(true);
    }
    const digest = await client.putManifest(target, '1', manifest, manifestDescriptor.mediaType);
    expect(digest).toBe(manifestDescriptor.digest);

    const byTag = await client.getManifest(target, '1');
    expect(byTag.digest).toBe(manifestDescriptor.digest);
    expect(byTag.bytes.equals(manifest)).toBe(true);
    const byDigest = await client.getManifest(target, manifestDescriptor.digest);
    expect(byDigest.bytes.equals(manifest)).toBe(true);
    expect(await client.headManifest(target, '1')).toEqual({ mediaType: manifestDescriptor.mediaType, digest: manifestDescriptor.digest, size: manifest.length });
    expect(await client.headManifest(target, 'absent')).toBeUndefined();

    for (const d of blobs) {
      const original = readFileSync(path.join(images.tinyOciLayout, 'blobs', 'sha256', d.digest.slice(7)));
      const back = await client.readBlob(target, d.digest, 1 << 30);
      expect(back.equals(original)).toBe(true);
    }
    expect(await client.listTags(target)).toEqual(['1']);
  });

  it('pushes a stream in chunks (PATCH with Content-Range) and refuses a stream that does not match its digest', async () => {
    const target = repo('test/chunked');
    const data = Buffer.alloc(300_000);
    for (let i = 0; i < data.length; i++) data[i] = (i * 31 + (i >> 8)) & 0xff;
    const digest = sha256(data);
    const pieces = (): Readable => Readable.from([data.subarray(0, 12_345), data.subarray(12_345, 200_000), data.subarray(200_000)]);
    await client.pushBlob(target, pieces, digest, data.length, { chunkSize: 64 * 1024 });
    expect((await client.readBlob(target, digest, data.length)).equals(data)).toBe(true);

    const wrong = sha256('something else');
    await expect(client.pushBlob(target, pieces, wrong, data.length, { chunkSize: 64 * 1024 })).rejects.toThrow(/digest mismatch/);
    expect(await client.hasBlob(target, wrong)).toBe(false);
  });

  it('mounts a blob from another repository without sending it again', async () => {
    const data = Buffer.from('shared layer bytes');
    const digest = sha256(data);
    await client.pushBlob(repo('test/source'), data, digest, data.length);
    await client.pushBlob(repo('test/mounted'), () => {
      throw new Error('the content must not be read: the blob is mounted');
    }, digest, data.length, { mountFrom: 'test/source' });
    expect(await client.hasBlob(repo('test/mounted'), digest)).toBe(true);
  });

  it('stream verification fails when the blob is asked for with a size other than its own', async () => {
    const data = Buffer.from('exactly these bytes');
    const digest = sha256(data);
    await client.pushBlob(repo('test/sizes'), data, digest, data.length);
    await expect(client.openBlob(repo('test/sizes'), digest, 5)).rejects.toThrow(/declares 5/);
    const stream = await client.openBlob(repo('test/sizes'), digest, data.length + 10);
    await expect(Readable.from(stream).toArray()).rejects.toThrow(/declares/);
  });

  it('names the missing manifest and repository in a clear BadInputError', async () => {
    const error = await client.getManifest(repo('test/nothing'), 'latest').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BadInputError);
    expect(String(error)).toMatch(/test\/nothing.*404.*MANIFEST_UNKNOWN|404.*not found/);
  });

  it('finds referrers through the tag schema (distribution 2.8 has no Referrers API) and filters by artifactType', async () => {
    const target = repo('test/referred');
    const subjectBytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: sha256('{}'), size: 2 }, layers: [] }));
    await client.pushBlob(target, Buffer.from('{}'), sha256('{}'), 2);
    const subject = await client.putManifest(target, 'app', subjectBytes, 'application/vnd.oci.image.manifest.v1+json');
    const referrer = (artifactType: string): Buffer =>
      Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          artifactType,
          config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: sha256('{}'), size: 2 },
          layers: [{ mediaType: 'application/vnd.oci.empty.v1+json', digest: sha256('{}'), size: 2 }],
          subject: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: subject, size: subjectBytes.length },
          annotations: { 'org.example.kind': artifactType },
        }),
      );
    const sig = referrer('application/vnd.dev.sigstore.bundle.v0.3+json');
    const sbom = referrer('application/vnd.in-toto+json');
    const sigDigest = await client.putManifest(target, sha256(sig), sig, 'application/vnd.oci.image.manifest.v1+json');
    const sbomDigest = await client.putManifest(target, sha256(sbom), sbom, 'application/vnd.oci.image.manifest.v1+json');
    // Pushing the same referrer again does not list it twice.
    await client.putManifest(target, sha256(sig), sig, 'application/vnd.oci.image.manifest.v1+json');

    const all = await client.referrers(target, subject);
    expect(all.map((d) => d.digest).sort()).toEqual([sigDigest, sbomDigest].sort());
    expect(all.find((d) => d.digest === sigDigest)).toMatchObject({ artifactType: 'application/vnd.dev.sigstore.bundle.v0.3+json', size: sig.length, annotations: { 'org.example.kind': 'application/vnd.dev.sigstore.bundle.v0.3+json' } });
    expect((await client.referrers(target, subject, 'application/vnd.in-toto+json')).map((d) => d.digest)).toEqual([sbomDigest]);
    expect(await client.referrers(target, sha256('no such subject'))).toEqual([]);
  });
});
