import { minbaseImage, minbaseMissing, type MinbaseImage } from './minbase-image';
import { tinyImage } from './tiny-image';

/** Both test images, as tests name them. */
export interface TestImages {
  readonly tinyOciLayout: string;
  readonly tinyOciRef: string;
  readonly tinyManifestDigest: string;
  /** The tiny image's config digest (image ID): the same for its OCI layout and docker-archive. */
  readonly tinyConfigDigest: string;
  readonly tinyDockerArchive: string;
  readonly minbaseOciLayout: string;
  readonly minbaseOciRef: string;
  readonly minbaseManifestDigest: string;
  /** The minbase image's config digest (image ID): the same for its OCI layout and docker-archive. */
  readonly minbaseConfigDigest: string;
  readonly minbaseDockerArchive: string;
  /** Tarball of the debootstrap root file system the minbase image was made from (`./` names). */
  readonly minbaseRootfsTar: string;
}

/**
 * The tiny image (built in-process by Jest's global setup) and the minbase image (built by
 * tools/scripts/make-minbase-image.sh). Each field is read when used and throws, naming what
 * is missing, when its image is not built: suites that scan the minbase image run inside
 * `describeWithMinbase` / `itWithMinbase`, which skip them (saying so) instead.
 */
export function testImages(): TestImages {
  const minbase = (): MinbaseImage => {
    const image = minbaseImage();
    if (!image) throw new Error(`this test ${minbaseMissing()}; put it inside describeWithMinbase to skip it with a message instead`);
    return image;
  };
  return {
    get tinyOciLayout() {
      return tinyImage().ociLayout;
    },
    get tinyOciRef() {
      return tinyImage().ociRef;
    },
    get tinyManifestDigest() {
      return tinyImage().manifestDigest;
    },
    get tinyConfigDigest() {
      return tinyImage().configDigest;
    },
    get tinyDockerArchive() {
      return tinyImage().dockerArchive;
    },
    get minbaseOciLayout() {
      return minbase().ociLayout;
    },
    get minbaseOciRef() {
      return minbase().ociRef;
    },
    get minbaseManifestDigest() {
      return minbase().manifestDigest;
    },
    get minbaseConfigDigest() {
      return minbase().configDigest;
    },
    get minbaseDockerArchive() {
      return minbase().dockerArchive;
    },
    get minbaseRootfsTar() {
      return minbase().rootfsTar;
    },
  };
}
