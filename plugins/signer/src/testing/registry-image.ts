import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { createHash } from 'node:crypto';
import type { RegistryClient, RegistryRepository } from '@bulkhead/oci';

interface LayoutManifest {
  config: { digest: string; size: number };
  layers: { digest: string; size: number }[];
}

async function blob(layout: string, digest: string): Promise<Buffer> {
  return readFile(path.join(layout, 'blobs', ...digest.split(':')));
}

/**
 * Pushes the single image of an OCI layout to `repo:tag` with the registry client; returns its
 * manifest digest. The manifest gets an annotation naming the tag, so each tag is its own
 * image (its own digest and signatures) while the blobs are shared.
 */
export async function pushLayoutImage(client: RegistryClient, layout: string, repo: RegistryRepository, tag: string): Promise<string> {
  const index = JSON.parse(await readFile(path.join(layout, 'index.json'), 'utf8')) as { manifests: { digest: string; mediaType: string }[] };
  const entry = index.manifests[0];
  if (!entry) throw new Error(`${layout}: empty index`);
  const manifest = JSON.parse((await blob(layout, entry.digest)).toString('utf8')) as LayoutManifest & { annotations?: Record<string, string> };
  manifest.annotations = { ...(manifest.annotations ?? {}), 'org.example.test-tag': tag };
  const manifestBytes = Buffer.from(JSON.stringify(manifest));
  for (const d of [manifest.config, ...manifest.layers]) await client.pushBlob(repo, await blob(layout, d.digest), d.digest, d.size);
  return client.putManifest(repo, tag, manifestBytes, entry.mediaType);
}

/**
 * Pushes a variant of `repo:tag`'s manifest (an annotation added: another digest, same blobs)
 * under `tag`: the tag now names a manifest nobody signed, as after a tampered push.
 */
export async function pushTamperedManifest(client: RegistryClient, repo: RegistryRepository, tag: string): Promise<string> {
  const original = await client.getManifest(repo, tag);
  const doc = JSON.parse(original.bytes.toString('utf8')) as Record<string, unknown>;
  doc['annotations'] = { ...((doc['annotations'] as Record<string, string> | undefined) ?? {}), 'org.example.tampered': 'true' };
  const bytes = Buffer.from(JSON.stringify(doc));
  return client.putManifest(repo, tag, bytes, original.mediaType);
}

export function sha256(bytes: Buffer | string): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}
