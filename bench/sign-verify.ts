// cosign-style sign + verify against a loopback registry: `npm run bench -- sign-verify [iterations]`.
//
// Measured: Bulkhead's signer flows (resolve the tag to its digest, build cosign's simple-signing
// payload, sign with ECDSA P-256, append to the signatures image at sha256-<hex>.sig; verify:
// resolve, fetch the .sig manifest and payload, verify) through the registry client. Floor, in
// the same run: the same crypto and the same HTTP round trips done by hand with node's crypto
// and plain fetch (GET the image manifest, sign the same bytes, POST+PUT the payload and config
// blobs, PUT the manifest; verify: GET manifest, GET .sig manifest, GET payload blob,
// crypto.verify). Each iteration signs a fresh image (its own digest), so the .sig manifest does
// not grow. The "both forms" row adds the Sigstore bundle referrer (and its referrers lookup) and
// is compared with the same one-form floor, so its ratio shows what the second form costs.
import { createHash, generateKeyPairSync, sign as nodeSign, verify as nodeVerify } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { RegistryClient, parseRegistryReference, type RegistryRepository } from '@bulkhead/oci';
import { localSigner, signImageFormats, verifyImageSignatures } from '@bulkhead/plugin-signer';
import { buildTinyImage, startTestRegistry, testImages, testRegistryMissing, TINY_IMAGE_VARIABLE } from '@bulkhead/testing';
import { median, printTable, timeAsync } from './lib/measure';

const ITERATIONS = Number(process.argv[2] ?? 30);
const sha256 = (bytes: Buffer) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

async function pushVariant(client: RegistryClient, repo: RegistryRepository, tag: string): Promise<string> {
  const layout = testImages().tinyOciLayout;
  const blob = (digest: string) => readFile(path.join(layout, 'blobs', ...digest.split(':')));
  const index = JSON.parse(await readFile(path.join(layout, 'index.json'), 'utf8')) as { manifests: { digest: string; mediaType: string }[] };
  const manifest = JSON.parse((await blob(index.manifests[0]!.digest)).toString('utf8')) as { config: { digest: string; size: number }; layers: { digest: string; size: number }[]; annotations?: Record<string, string> };
  for (const d of [manifest.config, ...manifest.layers]) await client.pushBlob(repo, await blob(d.digest), d.digest, d.size);
  manifest.annotations = { 'org.example.bench': tag };
  return client.putManifest(repo, tag, Buffer.from(JSON.stringify(manifest)), index.manifests[0]!.mediaType);
}

async function putBlob(base: string, registryUrl: string, body: Buffer): Promise<void> {
  const start = await fetch(`${base}/blobs/uploads/`, { method: 'POST' });
  await start.arrayBuffer();
  const location = new URL(start.headers.get('location') ?? '', registryUrl);
  location.searchParams.set('digest', sha256(body));
  const put = await fetch(location, { method: 'PUT', body, headers: { 'content-type': 'application/octet-stream' } });
  await put.arrayBuffer();
  if (put.status !== 201) throw new Error(`blob PUT: ${put.status}`);
}

const ACCEPT = { accept: 'application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json' };

async function main(): Promise<void> {
  const missing = testRegistryMissing();
  if (missing) throw new Error(`sign-verify bench ${missing}`);
  // The tiny image (as Jest's global setup builds it) is what gets signed.
  process.env[TINY_IMAGE_VARIABLE] ??= await buildTinyImage();
  const registry = await startTestRegistry();
  const client = new RegistryClient();
  try {
    const repo = parseRegistryReference(`${registry.host}/bench`);
    const base = `${registry.url}/v2/bench`;
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const signer = localSigner(privateKey, publicKey);
    const verifier = { name: 'key:bench', publicKey, identity: 'bench' };
    const tags: string[] = [];
    for (let i = 0; i < ITERATIONS * 3 + 6; i++) {
      tags.push(`t${i}`);
      await pushVariant(client, repo, `t${i}`);
    }
    let next = 0;
    const sign: number[] = [];
    const verify: number[] = [];
    const both: number[] = [];
    const floorSign: number[] = [];
    const floorVerify: number[] = [];
    const run = async (record: boolean) => {
      // Bulkhead, legacy form.
      const tagA = tags[next++]!;
      const s = await timeAsync(async () => void (await signImageFormats(client, `${registry.host}/bench:${tagA}`, signer, { format: 'legacy' })));
      const v = await timeAsync(async () => {
        const result = await verifyImageSignatures(client, `${registry.host}/bench:${tagA}`, [verifier]);
        if (!result.verified) throw new Error('bench: verification failed');
      });
      // Bulkhead, both forms.
      const tagB = tags[next++]!;
      const b = await timeAsync(async () => {
        await signImageFormats(client, `${registry.host}/bench:${tagB}`, signer, { format: 'both' });
        const result = await verifyImageSignatures(client, `${registry.host}/bench:${tagB}`, [verifier]);
        if (result.checks.filter((c) => c.valid).length !== 2) throw new Error('bench: both forms did not verify');
      });
      // Floor: the same bytes and round trips by hand.
      const tagC = tags[next++]!;
      let sigTag = '';
      const fs = await timeAsync(async () => {
        const response = await fetch(`${base}/manifests/${tagC}`, { headers: ACCEPT });
        const manifest = Buffer.from(await response.arrayBuffer());
        const digest = sha256(manifest);
        sigTag = `sha256-${digest.slice(7)}.sig`;
        const payload = Buffer.from(`{"critical":{"identity":{"docker-reference":"${registry.host}/bench"},"image":{"docker-manifest-digest":"${digest}"},"type":"cosign container image signature"},"optional":null}`);
        const signature = nodeSign('sha256', payload, privateKey).toString('base64');
        const config = Buffer.from(JSON.stringify({ architecture: '', os: '', rootfs: { type: 'layers', diff_ids: [sha256(payload)] }, config: {} }));
        await putBlob(base, registry.url, payload);
        await putBlob(base, registry.url, config);
        const sigManifest = JSON.stringify({
          schemaVersion: 2,
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          config: { mediaType: 'application/vnd.oci.image.config.v1+json', size: config.length, digest: sha256(config) },
          layers: [{ mediaType: 'application/vnd.dev.cosign.simplesigning.v1+json', size: payload.length, digest: sha256(payload), annotations: { 'dev.cosignproject.cosign/signature': signature } }],
        });
        const put = await fetch(`${base}/manifests/${sigTag}`, { method: 'PUT', body: sigManifest, headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' } });
        await put.arrayBuffer();
      });
      const fv = await timeAsync(async () => {
        const response = await fetch(`${base}/manifests/${tagC}`, { headers: ACCEPT });
        await response.arrayBuffer();
        const sig = (await (await fetch(`${base}/manifests/${sigTag}`, { headers: ACCEPT })).json()) as { layers: { digest: string; annotations: Record<string, string> }[] };
        const layer = sig.layers[0]!;
        const payload = Buffer.from(await (await fetch(`${base}/blobs/${layer.digest}`)).arrayBuffer());
        if (!nodeVerify('sha256', payload, publicKey, Buffer.from(layer.annotations['dev.cosignproject.cosign/signature']!, 'base64'))) throw new Error('floor: verification failed');
      });
      if (!record) return;
      sign.push(s);
      verify.push(v);
      both.push(b);
      floorSign.push(fs);
      floorVerify.push(fv);
    };
    for (let i = 0; i < 2; i++) await run(false); // warm: connections, JIT
    for (let i = 0; i < ITERATIONS; i++) await run(true);
    const rows: [string, number, number][] = [
      ['sign (legacy)', median(floorSign), median(sign)],
      ['verify (legacy)', median(floorVerify), median(verify)],
      ['sign + verify (legacy)', median(floorSign.map((x, i) => x + floorVerify[i]!)), median(sign.map((x, i) => x + verify[i]!))],
      ['sign + verify (legacy + bundle)', median(floorSign.map((x, i) => x + floorVerify[i]!)), median(both)],
    ];
    console.log(`sign-verify: ${ITERATIONS} iterations against a loopback registry (median ms)`);
    printTable(
      ['case', 'floor ms', 'bulkhead ms', 'ratio'],
      rows.map(([name, floor, measured]) => [name, floor.toFixed(2), measured.toFixed(2), `${(measured / floor).toFixed(2)}x`]),
    );
  } finally {
    client.close();
    await registry.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
