import { execFileSync } from 'node:child_process';
import { createPublicKey } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { RegistryClient, parseRegistryReference } from '@bulkhead/oci';
import { buildBundleReferrer } from '@bulkhead/signing';
import { describeWithRegistry, testImages } from '@bulkhead/testing';
import { testCliHost } from '../testing/cli-host';
import { pushLayoutImage, sha256 } from '../testing/registry-image';
import { signWithCosignKey } from '../cli/sign';
import { verifyWithKey } from '../cli/verify';
import { resolveImage } from './resolve';
import { verifyImageSignatures } from './verify-image';
import { publicKeyFingerprint } from '../keys/fingerprint';

/*
 * What a registry may hand the verifier that is not a signature: oversized payloads (refused
 * before reading), signature manifests without signatures, bundle referrers that hold garbage.
 * Each is a failed check with its reason, never a crash and never a valid verdict. Also: a plain
 * PEM key (openssl's) signs, and `verify --cert` checks with the key of a certificate.
 */
describeWithRegistry('signature verification against hostile registry content', (registry) => {
  let dir: string;
  let client: RegistryClient;
  const repo = () => parseRegistryReference(`${registry().host}/hostile`);
  const ref = (tag: string) => `${registry().host}/hostile:${tag}`;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'bh-signer-hostile-'));
    client = new RegistryClient();
    execFileSync('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', path.join(dir, 'plain.pem')]);
    execFileSync('openssl', ['req', '-new', '-x509', '-key', path.join(dir, 'plain.pem'), '-out', path.join(dir, 'plain.crt'), '-days', '2', '-subj', '/CN=release signer/O=Bulkhead Test'], { stdio: 'ignore' });
    execFileSync('openssl', ['ec', '-in', path.join(dir, 'plain.pem'), '-pubout', '-out', path.join(dir, 'plain.pub')], { stdio: 'ignore' });
  });
  afterAll(async () => {
    client?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const verifierOf = async () => {
    const publicKey = createPublicKey(await readFile(path.join(dir, 'plain.pub')));
    return { name: `key:${publicKeyFingerprint(publicKey)}`, publicKey, identity: 'test' };
  };

  async function putSigManifest(digest: string, layers: unknown[]): Promise<void> {
    const config = Buffer.from('{}');
    await client.pushBlob(repo(), config, sha256(config), config.length);
    const manifest = { schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', size: 2, digest: sha256(config) }, layers };
    await client.putManifest(repo(), `sha256-${digest.slice(7)}.sig`, Buffer.from(JSON.stringify(manifest)), 'application/vnd.oci.image.manifest.v1+json');
  }

  it('a payload layer claiming more than 1 MiB is refused before it is read', async () => {
    const digest = await pushLayoutImage(client, testImages().tinyOciLayout, repo(), 'big');
    const payload = Buffer.from('{}');
    await client.pushBlob(repo(), payload, sha256(payload), payload.length);
    await putSigManifest(digest, [{ mediaType: 'application/vnd.dev.cosign.simplesigning.v1+json', size: 50 * 1024 * 1024, digest: sha256(payload), annotations: { 'dev.cosignproject.cosign/signature': 'AAAA' } }]);
    const result = await verifyImageSignatures(client, ref('big'), [await verifierOf()]);
    expect(result.verified).toBe(false);
    expect(result.checks).toEqual([expect.objectContaining({ valid: false, reason: expect.stringMatching(/larger than 1048576/) })]);
  });

  it('a signature manifest whose layer has no signature annotation is reported, not trusted', async () => {
    const digest = await pushLayoutImage(client, testImages().tinyOciLayout, repo(), 'nosig');
    const payload = Buffer.from('{"critical":{}}');
    await client.pushBlob(repo(), payload, sha256(payload), payload.length);
    await putSigManifest(digest, [{ mediaType: 'application/vnd.dev.cosign.simplesigning.v1+json', size: payload.length, digest: sha256(payload) }]);
    const result = await verifyImageSignatures(client, ref('nosig'), [await verifierOf()]);
    expect(result.verified).toBe(false);
    expect(result.checks[0]?.reason).toMatch(/dev\.cosignproject\.cosign\/signature/);
  });

  it('a signatures image listing hundreds of signatures: only the first 100 are fetched, and the rest is reported', async () => {
    const digest = await pushLayoutImage(client, testImages().tinyOciLayout, repo(), 'many');
    const payload = Buffer.from('{"not":"a payload"}');
    await client.pushBlob(repo(), payload, sha256(payload), payload.length);
    const layer = (i: number) => ({ mediaType: 'application/vnd.dev.cosign.simplesigning.v1+json', size: payload.length, digest: sha256(payload), annotations: { 'dev.cosignproject.cosign/signature': 'AAAA', n: String(i) } });
    await putSigManifest(digest, Array.from({ length: 500 }, (_, i) => layer(i)));
    const result = await verifyImageSignatures(client, ref('many'), [await verifierOf()]);
    expect(result.verified).toBe(false);
    expect(result.checks).toHaveLength(101);
    expect(result.checks[0]?.reason).toMatch(/lists 500 signatures: only the first 100 are checked/);
  });

  it('a bundle referrer holding garbage is a failed check naming the referrer', async () => {
    await pushLayoutImage(client, testImages().tinyOciLayout, repo(), 'garbage');
    const image = await resolveImage(client, ref('garbage'));
    const referrer = buildBundleReferrer({ bundle: Buffer.from('{"mediaType": 7}'), subject: { mediaType: image.mediaType, size: image.size, digest: image.digest }, content: 'dsse-envelope', predicateType: 'https://sigstore.dev/cosign/sign/v1' });
    await client.pushBlob(repo(), referrer.config.bytes, referrer.config.descriptor.digest, referrer.config.descriptor.size);
    await client.pushBlob(repo(), referrer.bundle.bytes, referrer.bundle.descriptor.digest, referrer.bundle.descriptor.size);
    await client.putManifest(repo(), referrer.manifest.descriptor.digest, referrer.manifest.bytes, referrer.manifest.descriptor.mediaType);
    const result = await verifyImageSignatures(client, ref('garbage'), [await verifierOf()]);
    expect(result.verified).toBe(false);
    expect(result.checks).toEqual([expect.objectContaining({ format: 'cosign-bundle', valid: false, reason: expect.stringContaining(`bundle referrer ${referrer.manifest.descriptor.digest}`) })]);
  });

  it('a plain PEM key (openssl) signs; verify --cert checks with its certificate and names the subject', async () => {
    await pushLayoutImage(client, testImages().tinyOciLayout, repo(), 'cert');
    expect(await signWithCosignKey(ref('cert'), { key: path.join(dir, 'plain.pem'), annotations: {} }, testCliHost(), { env: {}, promptTo: () => undefined })).toBe(0);
    const host = testCliHost();
    expect(await verifyWithKey(ref('cert'), { cert: path.join(dir, 'plain.crt'), format: 'text' }, host)).toBe(0);
    expect(host.stdout()).toMatch(/^valid cosign-legacy sha256:[0-9a-f]{64} \(.*CN=release signer/m);
    expect(host.stdout()).toMatch(/^verified /m);
  });

  it('a reference the registry does not hold is a clear error', async () => {
    await expect(verifyImageSignatures(client, ref('absent'), [await verifierOf()])).rejects.toThrow(/absent|not found|MANIFEST_UNKNOWN/i);
  });
});
