import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BadInputError } from '@bulkhead/plugin-sdk';
import { parseRegistryReference, RegistryClient } from '@bulkhead/oci';
import { describeWithRegistry, testImages } from '@bulkhead/testing';
import { pushLayoutImage } from '../testing/registry-image';
import { ImageChangedError, pinScannedImage } from './pin-image';

/*
 * What the gate may sign, against a real registry: the digest a reference names now, and only
 * when that manifest's config is the image the gate scanned. A tag moved to another image
 * between scan and signature is refused; a source outside a registry cannot be signed.
 */

describeWithRegistry('pinScannedImage', (registry) => {
  let client: RegistryClient;
  let imageId: string;
  let dir: string;
  const repo = () => parseRegistryReference(`${registry().host}/pin`);

  beforeAll(async () => {
    client = new RegistryClient();
    dir = await mkdtemp(path.join(tmpdir(), 'bh-pin-'));
    const layout = testImages().tinyOciLayout;
    const index = JSON.parse(await readFile(path.join(layout, 'index.json'), 'utf8')) as { manifests: { digest: string }[] };
    const manifest = JSON.parse(await readFile(path.join(layout, 'blobs', ...index.manifests[0]!.digest.split(':')), 'utf8')) as { config: { digest: string } };
    imageId = manifest.config.digest;
  });
  afterAll(async () => {
    client?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('pins a tag to the digest it names when its config is the scanned image', async () => {
    const digest = await pushLayoutImage(client, testImages().tinyOciLayout, repo(), 'v1');
    expect(await pinScannedImage(client, `${registry().host}/pin:v1`, imageId)).toEqual({ digest, pinned: `${registry().host}/pin@${digest}` });
    expect((await pinScannedImage(client, `registry:${registry().host}/pin@${digest}`, imageId)).digest).toBe(digest);
  });

  it('refuses a reference that now names another image, and a source outside a registry', async () => {
    await pushLayoutImage(client, testImages().tinyOciLayout, repo(), 'v2');
    const other = `sha256:${'0'.repeat(64)}`;
    await expect(pinScannedImage(client, `${registry().host}/pin:v2`, other)).rejects.toThrow(ImageChangedError);
    await expect(pinScannedImage(client, `${registry().host}/pin:v2`, other)).rejects.toThrow(new RegExp(`now names image ${imageId} .*not the image ${other} the gate scanned`));
    await expect(pinScannedImage(client, `oci:${dir}:app`, imageId)).rejects.toThrow(BadInputError);
    await expect(pinScannedImage(client, `oci:${dir}:app`, imageId)).rejects.toThrow(/only an image in a registry can be signed; oci:.* is a local oci: source/);
  });
});
