import { readFileSync } from 'node:fs';
import path from 'node:path';

/** One test image in the two forms the scanner reads, with the digests tests compare against. */
export interface TestImage {
  /** OCI image layout folder (`oci:<ociLayout>:<ociRef>`). */
  ociLayout: string;
  /** The layout's reference (org.opencontainers.image.ref.name) of this image. */
  ociRef: string;
  /** The same image as a docker-archive (`docker-archive:<dockerArchive>`). */
  dockerArchive: string;
  /** The archive's RepoTags entry. */
  archiveTag: string;
  /** Digest of the image manifest in the OCI layout. */
  manifestDigest: string;
  /** Digest of the image configuration (the image ID): the same for both forms. */
  configDigest: string;
}

interface Descriptor {
  digest: string;
  annotations?: Record<string, string>;
}

/** Reads the manifest and config digests of `ref` from an OCI image layout. */
export function layoutDigests(layout: string, ref: string): { manifestDigest: string; configDigest: string } {
  const index = JSON.parse(readFileSync(path.join(layout, 'index.json'), 'utf8')) as { manifests?: Descriptor[] };
  const manifest = index.manifests?.find((m) => m.annotations?.['org.opencontainers.image.ref.name'] === ref);
  if (!manifest) throw new Error(`${layout}/index.json has no image named ${ref}`);
  const blob = (digest: string): string => path.join(layout, 'blobs', ...digest.split(':'));
  const { config } = JSON.parse(readFileSync(blob(manifest.digest), 'utf8')) as { config: Descriptor };
  return { manifestDigest: manifest.digest, configDigest: config.digest };
}
