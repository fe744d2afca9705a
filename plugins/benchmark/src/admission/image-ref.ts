/*
 * The parts of a container image reference the policy needs, normalised as the container
 * runtime does: a first component without a dot, a colon or `localhost` is a Docker Hub
 * repository (`nginx` → `docker.io/library/nginx`).
 */

export interface ImageRef {
  registry: string;
  /** `sha256:<hex>` when the reference pins a digest, else null. */
  digest: string | null;
}

const DIGEST = /@(sha256:[0-9a-f]{64})$/;

export function parseImageRef(reference: string): ImageRef {
  const digest = DIGEST.exec(reference)?.[1] ?? null;
  const slash = reference.indexOf('/');
  const first = slash < 0 ? '' : reference.slice(0, slash);
  const registry = first && (first.includes('.') || first.includes(':') || first === 'localhost') ? first.toLowerCase() : 'docker.io';
  return { registry: registry === 'index.docker.io' ? 'docker.io' : registry, digest };
}
