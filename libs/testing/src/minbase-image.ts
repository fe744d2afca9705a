import { existsSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from './paths';
import { skipSuite, skipTest } from './skip-suite';
import { layoutDigests, type TestImage } from './test-image';

/** The Debian bookworm minbase image that tools/scripts/make-minbase-image.sh builds. */
export interface MinbaseImage extends TestImage {
  /** Its root file system as a tar (names start with `./`), to extract and compare with. */
  rootfsTar: string;
}

/** Names the folder the test images are built into (default: tmp/test-images of the repository). */
export const TEST_IMAGES_VARIABLE = 'BULKHEAD_TEST_IMAGES';

/** Where make-minbase-image.sh writes the minbase image. */
export function minbaseImageDir(): string {
  return path.join(path.resolve(process.env[TEST_IMAGES_VARIABLE] ?? path.join(repoRoot, 'tmp', 'test-images')), 'minbase');
}

/** The minbase image, or undefined when it has not been built (completely) where it is looked for. */
export function minbaseImage(): MinbaseImage | undefined {
  const dir = minbaseImageDir();
  const image = { ociLayout: path.join(dir, 'oci'), ociRef: 'bookworm', dockerArchive: path.join(dir, 'docker-archive.tar'), archiveTag: 'docker.io/test/minbase:bookworm', rootfsTar: path.join(dir, 'rootfs.tar') };
  // The script moves a finished image into place in one step: these three mean it is complete.
  if (![path.join(image.ociLayout, 'index.json'), image.dockerArchive, image.rootfsTar].every((file) => existsSync(file))) return undefined;
  return { ...image, ...layoutDigests(image.ociLayout, image.ociRef) };
}

/** Why the minbase image is missing and how to get it, in one sentence. */
export function minbaseMissing(): string {
  return `needs the debootstrap minbase image in ${minbaseImageDir()}, which is not built (build it with tools/scripts/make-minbase-image.sh, as root; ${TEST_IMAGES_VARIABLE} names the parent folder)`;
}

/**
 * `describe` for a suite that scans the minbase image: it runs with the image where it has been
 * built, and otherwise is skipped with one printed line (see skipSuite; with BULKHEAD_NO_SKIP=1
 * it fails instead).
 */
export function describeWithMinbase(name: string, fn: (minbase: MinbaseImage) => void): void {
  const image = minbaseImage();
  if (image) describe(name, () => fn(image));
  else skipSuite(name, minbaseMissing());
}

/** `it` for one test that scans the minbase image: skipped (saying so) where it is not built. */
export function itWithMinbase(name: string, fn: () => Promise<unknown>, timeout?: number): void {
  if (minbaseImage()) it(name, fn, timeout);
  else skipTest(name, minbaseMissing());
}
