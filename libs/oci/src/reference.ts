import { BadInputError } from '@bulkhead/plugin-sdk';
import { hasRegistryHost, parseRegistryReference, type RegistryReference } from './registry/reference';

/** Where an image (or a plain root file system) comes from, parsed from a reference string. */
export type ImageSource =
  | { kind: 'oci'; reference: string; dir: string; ref?: string }
  | { kind: 'docker-archive'; reference: string; file: string }
  | { kind: 'rootfs'; reference: string; dir: string }
  | { kind: 'registry'; reference: string; image: RegistryReference };

export const ACCEPTED_REFERENCE_FORMS = [
  'oci:<dir>[:<ref>]',
  'docker-archive:<file>',
  'rootfs:<dir>',
  'registry:<host>[:port]/<repo>(:<tag>|@<digest>)',
  '<host>[:port]/<repo>(:<tag>|@<digest>)',
] as const;

/**
 * Parses `oci:<dir>[:<ref>]`, `docker-archive:<file>`, `rootfs:<dir>`, `registry:<reference>`, or
 * a bare registry reference whose first component is a registry host (`localhost:5000/app:1`,
 * `ghcr.io/x/y@sha256:…`: a dot, a port or `localhost`, as docker and Trivy decide). For `oci:` the part after
 * the last colon is a ref only when it contains no `/`, so `oci:/a/b` is a directory and
 * `oci:/a/b:v1` is directory `/a/b` with ref `v1` (skopeo's convention).
 */
export function parseImageReference(reference: string): ImageSource {
  if (reference.startsWith('registry:')) return { kind: 'registry', reference, image: parseRegistryReference(reference) };
  // `localhost:5000/app` would otherwise read as scheme `localhost`.
  if (hasRegistryHost(reference)) return { kind: 'registry', reference, image: parseRegistryReference(reference) };
  const colon = reference.indexOf(':');
  const prefix = colon > 0 ? reference.slice(0, colon) : '';
  // `registry.example/app:1` has a colon but no scheme.
  const scheme = /^[a-z][a-z0-9-]*$/.test(prefix) ? prefix : '';
  const rest = scheme ? reference.slice(colon + 1) : '';
  const needPath = (what: string): void => {
    if (!rest) throw new BadInputError(`image reference "${reference}": ${scheme}: needs a ${what}`);
  };
  switch (scheme) {
    case 'oci': {
      needPath('directory');
      const last = rest.lastIndexOf(':');
      if (last > 0 && !rest.slice(last + 1).includes('/')) {
        const ref = rest.slice(last + 1);
        return { kind: 'oci', reference, dir: rest.slice(0, last), ...(ref ? { ref } : {}) };
      }
      return { kind: 'oci', reference, dir: rest };
    }
    case 'docker-archive':
      needPath('file');
      return { kind: 'docker-archive', reference, file: rest };
    case 'rootfs':
      needPath('directory');
      return { kind: 'rootfs', reference, dir: rest };
    default:
      throw new BadInputError(
        `image reference "${reference}": unknown source ${scheme ? `"${scheme}:"` : '(no scheme)'}; accepted forms: ${ACCEPTED_REFERENCE_FORMS.join(', ')}`,
      );
  }
}
