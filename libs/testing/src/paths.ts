import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Repository root: the nearest folder holding nx.json, from this file upwards (it is
 * libs/testing/src in sources and dist/libs/testing/src once compiled for benchmarks).
 */
export const repoRoot = findRepoRoot(__dirname);

function findRepoRoot(start: string): string {
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'nx.json'))) return dir;
    if (path.dirname(dir) === dir) return path.resolve(start, '../../..');
  }
}

/** ../shared: peers' conformance data, vulnerability data and image tools. Read-only. */
export function sharedDir(): string {
  return path.resolve(process.env['BULKHEAD_SHARED_DIR'] ?? path.join(repoRoot, '..', 'shared'));
}

/** A path under ../shared, or undefined when the shared folder is absent (tests then skip). */
export function sharedPath(...segments: string[]): string | undefined {
  const dir = sharedDir();
  return existsSync(dir) ? path.join(dir, ...segments) : undefined;
}

/**
 * `describe` that runs only where ../shared exists, and otherwise registers one skipped test
 * whose name says why, so a missing folder is visible in the report instead of silent.
 */
export function describeWithShared(name: string, fn: (shared: string) => void): void {
  const dir = sharedDir();
  if (existsSync(dir)) describe(name, () => fn(dir));
  else describe(name, () => it.skip(`skipped: ${dir} is absent (set BULKHEAD_SHARED_DIR)`, () => undefined));
}

export interface TestImages {
  tinyOciLayout: string;
  tinyOciRef: string;
  tinyManifestDigest: string;
  tinyDockerArchive: string;
  minbaseOciLayout: string;
  minbaseOciRef: string;
  minbaseManifestDigest: string;
  minbaseDockerArchive: string;
  /** Tarball of the debootstrap root file system the minbase image was made from. */
  minbaseRootfsTar: string;
}

/**
 * The images built by tools/scripts/test-images.sh (../shared/tools/make-test-images.sh).
 * Throws with the command to run when they have not been built.
 */
export function testImages(): TestImages {
  const dir = path.resolve(process.env['BULKHEAD_TEST_IMAGES'] ?? path.join(repoRoot, 'tmp', 'test-images'));
  const envFile = path.join(dir, 'images.env');
  if (!existsSync(envFile)) {
    throw new Error(`test images not found at ${dir}: run tools/scripts/test-images.sh (or set BULKHEAD_TEST_IMAGES)`);
  }
  const vars = Object.fromEntries(
    readFileSync(envFile, 'utf8')
      .split('\n')
      .filter((line) => line.includes('='))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
  const need = (key: string): string => {
    const value = vars[key];
    if (!value) throw new Error(`${envFile} has no ${key}: rebuild with tools/scripts/test-images.sh --force`);
    return value;
  };
  return {
    tinyOciLayout: need('TINY_OCI_LAYOUT'),
    tinyOciRef: need('TINY_OCI_REF'),
    tinyManifestDigest: need('TINY_MANIFEST_DIGEST'),
    tinyDockerArchive: need('TINY_DOCKER_ARCHIVE'),
    minbaseOciLayout: need('MINBASE_OCI_LAYOUT'),
    minbaseOciRef: need('MINBASE_OCI_REF'),
    minbaseManifestDigest: need('MINBASE_MANIFEST_DIGEST'),
    minbaseDockerArchive: need('MINBASE_DOCKER_ARCHIVE'),
    minbaseRootfsTar: path.join(dir, '.work', 'minbase-bookworm-rootfs.tar'),
  };
}
