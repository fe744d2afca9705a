import { execFileSync } from 'node:child_process';
import { createPrivateKey, createPublicKey, sign as nodeSign } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { bundleFromJSON } from '@sigstore/bundle';
import { toSignedEntity, toTrustMaterial, Verifier } from '@sigstore/verify';
import { RegistryClient, parseRegistryReference } from '@bulkhead/oci';
import { publicKeyHint } from '@bulkhead/signing';
import { describeWithRegistry, testImages } from '@bulkhead/testing';
import { testCliHost } from '../testing/cli-host';
import { pushLayoutImage, pushTamperedManifest, sha256 } from '../testing/registry-image';
import { keygen } from './keygen';
import type { PasswordSource } from './password';
import { signWithCosignKey } from './sign';
import { verifyWithKey } from './verify';

/*
 * keygen → sign → verify against a real registry (distribution, from start-registry.sh), with the
 * tiny test image pushed by the registry client. The failures each name their reason. A
 * signature Bulkhead writes is checked independently (plain HTTP fetches + openssl), and
 * Bulkhead verifies a signature made outside it (payload built here by hand from cosign's spec,
 * signed with openssl, pushed with plain HTTP).
 */

const PASSWORD = 'correct horse';
const passwords = (password = PASSWORD): PasswordSource => ({ env: { COSIGN_PASSWORD: password }, promptTo: () => undefined });

describeWithRegistry('bulkhead keygen / sign / verify (cosign: legacy and bundle forms) against a registry', (registry) => {
  let dir: string;
  let client: RegistryClient;
  const repoRef = () => parseRegistryReference(`${registry().host}/app`);
  const ref = (tag: string) => `${registry().host}/app:${tag}`;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'bh-signer-cli-'));
    client = new RegistryClient();
    const keys = testCliHost();
    expect(await keygen(path.join(dir, 'cosign'), keys, passwords())).toBe(0);
    expect(await keygen(path.join(dir, 'other'), keys, passwords())).toBe(0);
  });
  afterAll(async () => {
    client?.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function sign(tag: string, extra: { signatureFormat?: 'legacy' | 'bundle'; key?: string; password?: string } = {}) {
    const host = testCliHost();
    const code = await signWithCosignKey(ref(tag), { key: extra.key ?? path.join(dir, 'cosign.key'), annotations: {}, ...(extra.signatureFormat ? { signatureFormat: extra.signatureFormat } : {}) }, host, passwords(extra.password));
    return { code, out: host.stdout() };
  }

  async function verify(tag: string, key = path.join(dir, 'cosign.pub')) {
    const host = testCliHost();
    const code = await verifyWithKey(ref(tag), { key, format: 'json' }, host);
    return { code, result: JSON.parse(host.stdout()) as { verified: boolean; digest: string; reason: string | null; checks: { format: string; valid: boolean; reason: string | null; verifier: string }[] } };
  }

  it('keygen writes cosign.key (0600, encrypted) and cosign.pub, and refuses to overwrite them', async () => {
    const key = await readFile(path.join(dir, 'cosign.key'), 'utf8');
    expect(key).toMatch(/^-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----/);
    expect((await stat(path.join(dir, 'cosign.key'))).mode & 0o777).toBe(0o600);
    expect(await readFile(path.join(dir, 'cosign.pub'), 'utf8')).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    await expect(keygen(path.join(dir, 'cosign'), testCliHost(), passwords())).rejects.toThrow(/cosign\.key already exists: refusing to overwrite/);
    expect(await readFile(path.join(dir, 'cosign.key'), 'utf8')).toBe(key);
  });

  it('keygen without COSIGN_PASSWORD and without a terminal is a clear error', async () => {
    await expect(keygen(path.join(dir, 'nopw'), testCliHost(), { env: {}, promptTo: () => undefined })).rejects.toThrow(/COSIGN_PASSWORD is not set and standard input is not a terminal/);
  });

  it('sign resolves the tag and signs its digest; verify with cosign.pub passes (exit 0)', async () => {
    const digest = await pushLayoutImage(client, testImages().tinyOciLayout, repoRef(), 'v1');
    const signed = await sign('v1', { signatureFormat: 'legacy' });
    expect(signed.code).toBe(0);
    expect(signed.out).toContain(`sha256-${digest.slice(7)}.sig`);
    const { code, result } = await verify('v1');
    expect(result).toMatchObject({ verified: true, digest });
    expect(code).toBe(0);
    expect(result.checks).toEqual([expect.objectContaining({ format: 'cosign-legacy', valid: true, reason: null })]);
  });

  it('a second signature (another key) is appended to the .sig manifest; each key verifies its own', async () => {
    await pushLayoutImage(client, testImages().tinyOciLayout, repoRef(), 'v2');
    expect((await sign('v2', { signatureFormat: 'legacy' })).code).toBe(0);
    expect((await sign('v2', { signatureFormat: 'legacy', key: path.join(dir, 'other.key') })).code).toBe(0);
    const digest = (await client.getManifest(repoRef(), 'v2')).digest;
    const sig = JSON.parse((await client.getManifest(repoRef(), `sha256-${digest.slice(7)}.sig`)).bytes.toString('utf8')) as { layers: unknown[] };
    expect(sig.layers).toHaveLength(2);
    expect((await verify('v2', path.join(dir, 'other.pub'))).code).toBe(0);
    expect((await verify('v2')).code).toBe(0);
  });

  it('a wrong key fails with the reason', async () => {
    await pushLayoutImage(client, testImages().tinyOciLayout, repoRef(), 'v3');
    await sign('v3', { signatureFormat: 'legacy' });
    const { code, result } = await verify('v3', path.join(dir, 'other.pub'));
    expect(code).toBe(1);
    expect(result.verified).toBe(false);
    expect(result.checks[0]?.reason).toMatch(/^wrong-key: /);
  });

  it('a tampered manifest (the tag now names other bytes) has no valid signature', async () => {
    await pushLayoutImage(client, testImages().tinyOciLayout, repoRef(), 'v4');
    await sign('v4', { signatureFormat: 'legacy' });
    const tampered = await pushTamperedManifest(client, repoRef(), 'v4');
    const { code, result } = await verify('v4');
    expect(code).toBe(1);
    expect(result.digest).toBe(tampered);
    expect(result.reason).toMatch(/no cosign signatures found for sha256:/);
  });

  it('a tampered signature payload fails (the signature no longer matches its bytes)', async () => {
    const digest = await pushLayoutImage(client, testImages().tinyOciLayout, repoRef(), 'v5');
    await sign('v5', { signatureFormat: 'legacy' });
    const tag = `sha256-${digest.slice(7)}.sig`;
    const sigManifest = JSON.parse((await client.getManifest(repoRef(), tag)).bytes.toString('utf8')) as { layers: { digest: string; size: number }[] } & Record<string, unknown>;
    const payload = await client.readBlob(repoRef(), sigManifest.layers[0]!.digest, 1 << 20);
    const altered = Buffer.from(payload.toString('utf8').replace('"optional":null', '"optional":{"x":"y"}'));
    await client.pushBlob(repoRef(), altered, sha256(altered), altered.length);
    sigManifest.layers[0] = { ...sigManifest.layers[0]!, digest: sha256(altered), size: altered.length };
    await client.putManifest(repoRef(), tag, Buffer.from(JSON.stringify(sigManifest)), 'application/vnd.oci.image.manifest.v1+json');
    const { code, result } = await verify('v5');
    expect(code).toBe(1);
    expect(result.checks[0]?.reason).toMatch(/^wrong-key: .*altered/);
  });

  it('a signature over another digest, copied to this image, fails with digest-mismatch', async () => {
    const signedDigest = await pushLayoutImage(client, testImages().tinyOciLayout, repoRef(), 'v6');
    await sign('v6', { signatureFormat: 'legacy' });
    const otherDigest = await pushLayoutImage(client, testImages().tinyOciLayout, repoRef(), 'v7');
    // Copy v6's signatures image to the other image's .sig tag.
    const sig = await client.getManifest(repoRef(), `sha256-${signedDigest.slice(7)}.sig`);
    await client.putManifest(repoRef(), `sha256-${otherDigest.slice(7)}.sig`, sig.bytes, sig.mediaType);
    const { code, result } = await verify('v7');
    expect(code).toBe(1);
    expect(result.checks[0]?.reason).toMatch(/^digest-mismatch: /);
  });

  it('a wrong COSIGN_PASSWORD is a clear error', async () => {
    await pushLayoutImage(client, testImages().tinyOciLayout, repoRef(), 'v8');
    await expect(sign('v8', { password: 'wrong' })).rejects.toThrow(/cosign\.key: wrong password or corrupted key/);
  });

  it('the signature Bulkhead wrote verifies independently: plain HTTP fetches and openssl over the payload', async () => {
    const digest = await pushLayoutImage(client, testImages().tinyOciLayout, repoRef(), 'v9');
    await sign('v9', { signatureFormat: 'legacy' });
    const base = `${registry().url}/v2/app`;
    const manifest = (await (await fetch(`${base}/manifests/sha256-${digest.slice(7)}.sig`, { headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } })).json()) as {
      layers: { digest: string; mediaType: string; annotations: Record<string, string> }[];
    };
    const layer = manifest.layers[0]!;
    expect(layer.mediaType).toBe('application/vnd.dev.cosign.simplesigning.v1+json');
    const payload = Buffer.from(await (await fetch(`${base}/blobs/${layer.digest}`)).arrayBuffer());
    expect(sha256(payload)).toBe(layer.digest);
    // cosign's spec: the payload names the image by repository and manifest digest.
    expect(JSON.parse(payload.toString('utf8'))).toEqual({
      critical: { identity: { 'docker-reference': `${registry().host}/app` }, image: { 'docker-manifest-digest': digest }, type: 'cosign container image signature' },
      optional: null,
    });
    await writeFile(path.join(dir, 'payload'), payload);
    await writeFile(path.join(dir, 'sig.der'), Buffer.from(layer.annotations['dev.cosignproject.cosign/signature']!, 'base64'));
    const out = execFileSync('openssl', ['dgst', '-sha256', '-verify', path.join(dir, 'cosign.pub'), '-signature', path.join(dir, 'sig.der'), path.join(dir, 'payload')], { encoding: 'utf8' });
    expect(out.trim()).toBe('Verified OK');
  });

  it('Bulkhead verifies a signature made outside it: payload by hand, openssl signature, pushed with plain HTTP', async () => {
    const digest = await pushLayoutImage(client, testImages().tinyOciLayout, repoRef(), 'v10');
    execFileSync('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', path.join(dir, 'ext.pem')]);
    execFileSync('openssl', ['ec', '-in', path.join(dir, 'ext.pem'), '-pubout', '-out', path.join(dir, 'ext.pub')], { stdio: 'ignore' });
    const payload = Buffer.from(`{"critical":{"identity":{"docker-reference":"${registry().host}/app"},"image":{"docker-manifest-digest":"${digest}"},"type":"cosign container image signature"},"optional":{"by":"openssl"}}`);
    await writeFile(path.join(dir, 'ext-payload'), payload);
    const signature = execFileSync('openssl', ['dgst', '-sha256', '-sign', path.join(dir, 'ext.pem'), path.join(dir, 'ext-payload')]);
    const config = Buffer.from(JSON.stringify({ architecture: '', os: '', rootfs: { type: 'layers', diff_ids: [sha256(payload)] }, config: {} }));
    const base = `${registry().url}/v2/app`;
    for (const body of [payload, config]) {
      const start = await fetch(`${base}/blobs/uploads/`, { method: 'POST' });
      const location = new URL(start.headers.get('location') ?? '', registry().url);
      location.searchParams.set('digest', sha256(body));
      expect((await fetch(location, { method: 'PUT', body, headers: { 'content-type': 'application/octet-stream' } })).status).toBe(201);
    }
    const manifest = {
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', size: config.length, digest: sha256(config) },
      layers: [{ mediaType: 'application/vnd.dev.cosign.simplesigning.v1+json', size: payload.length, digest: sha256(payload), annotations: { 'dev.cosignproject.cosign/signature': signature.toString('base64') } }],
    };
    const put = await fetch(`${base}/manifests/sha256-${digest.slice(7)}.sig`, { method: 'PUT', body: JSON.stringify(manifest), headers: { 'content-type': manifest.mediaType } });
    expect(put.status).toBe(201);
    const { code, result } = await verify('v10', path.join(dir, 'ext.pub'));
    expect(result.checks).toEqual([expect.objectContaining({ valid: true })]);
    expect(code).toBe(0);
    // The same external signature fails with Bulkhead's own key.
    expect((await verify('v10')).code).toBe(1);
    // Sanity of the fixture itself: node agrees the openssl signature is over the payload.
    expect(nodeSign('sha256', payload, createPrivateKey(await readFile(path.join(dir, 'ext.pem')))).length).toBeGreaterThan(0);
    expect(createPublicKey(await readFile(path.join(dir, 'ext.pub'))).asymmetricKeyType).toBe('ec');
  });

  it('sign writes both forms by default; verify finds and checks both (legacy tag and bundle referrer)', async () => {
    await pushLayoutImage(client, testImages().tinyOciLayout, repoRef(), 'b1');
    const signed = await sign('b1');
    expect(signed.out).toMatch(/legacy signature at tag sha256-[0-9a-f]{64}\.sig/);
    expect(signed.out).toMatch(/bundle referrer sha256:[0-9a-f]{64}/);
    const { code, result } = await verify('b1');
    expect(code).toBe(0);
    expect(result.checks.map((c) => [c.format, c.valid]).sort()).toEqual([['cosign-bundle', true], ['cosign-legacy', true]]);
    // Only the bundle: still verified; with another key, the bundle fails with the reason.
    await pushLayoutImage(client, testImages().tinyOciLayout, repoRef(), 'b2');
    await sign('b2', { signatureFormat: 'bundle' });
    const bundleOnly = await verify('b2');
    expect(bundleOnly.result.checks).toEqual([expect.objectContaining({ format: 'cosign-bundle', valid: true })]);
    const wrong = await verify('b2', path.join(dir, 'other.pub'));
    expect(wrong.code).toBe(1);
    expect(wrong.result.checks[0]?.reason).toMatch(/^wrong-key: /);
  });

  it('the bundle Bulkhead wrote verifies with sigstore-js (fetched with plain HTTP through the referrers fallback tag)', async () => {
    const digest = await pushLayoutImage(client, testImages().tinyOciLayout, repoRef(), 'b3');
    await sign('b3', { signatureFormat: 'bundle' });
    const base = `${registry().url}/v2/app`;
    const accept = { accept: 'application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json' };
    // distribution 2.8 has no referrers API: the index is at the sha256-<hex> tag (OCI 1.1 fallback).
    const index = (await (await fetch(`${base}/manifests/sha256-${digest.slice(7)}`, { headers: accept })).json()) as { manifests: { digest: string; artifactType: string }[] };
    const entry = index.manifests.find((m) => m.artifactType === 'application/vnd.dev.sigstore.bundle.v0.3+json');
    expect(entry).toBeDefined();
    const referrer = (await (await fetch(`${base}/manifests/${entry!.digest}`, { headers: accept })).json()) as { subject: { digest: string }; layers: { digest: string }[] };
    expect(referrer.subject.digest).toBe(digest);
    const bundleJson = JSON.parse(Buffer.from(await (await fetch(`${base}/blobs/${referrer.layers[0]!.digest}`)).arrayBuffer()).toString('utf8'));
    const publicKey = createPublicKey(await readFile(path.join(dir, 'cosign.pub')));
    const trust = toTrustMaterial(
      { mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1', certificateAuthorities: [], timestampAuthorities: [], tlogs: [], ctlogs: [] },
      { [publicKeyHint(publicKey)]: { rawBytes: publicKey.export({ format: 'der', type: 'spki' }), keyDetails: 0 } } as never,
    );
    const verifier = new Verifier(trust, { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0 });
    expect(() => verifier.verify(toSignedEntity(bundleFromJSON(bundleJson)))).not.toThrow();
    // The statement inside is cosign's sign/v1 over this digest.
    const statement = JSON.parse(Buffer.from(bundleJson.dsseEnvelope.payload, 'base64').toString('utf8'));
    expect(statement).toMatchObject({ predicateType: 'https://sigstore.dev/cosign/sign/v1', subject: [{ digest: { sha256: digest.slice(7) } }] });
    // Tampered: sigstore-js refuses it too.
    bundleJson.dsseEnvelope.payload = Buffer.from(JSON.stringify({ ...statement, predicate: { x: 1 } })).toString('base64');
    expect(() => verifier.verify(toSignedEntity(bundleFromJSON(bundleJson)))).toThrow();
  });
});
