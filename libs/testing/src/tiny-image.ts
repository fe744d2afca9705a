import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { testImageBuilder } from '@bulkhead/oci/testing';
import { layoutDigests, type TestImage } from './test-image';

/** A small Debian-like image, built by our own code in the test process. */
export interface TinyImage extends TestImage {
  /** Its /var/lib/dpkg/status, to compare the scanner's inventory with what dpkg-query reads. */
  dpkgStatus: string;
}

const REF = 'tiny';
const ARCHIVE_TAG = 'docker.io/test/tiny:1';

/**
 * One dpkg status stanza. Maintainer and Description are what dpkg itself requires of a
 * stanza (dpkg-query warns without them); the scanner reads the other fields.
 */
function stanza(fields: Record<string, string>, summary: string): string {
  const all = { ...fields, Maintainer: 'Bulkhead test image <tests@bulkhead.invalid>', Description: summary };
  return Object.entries(all)
    .map(([key, value]) => `${key}: ${value}\n`)
    .join('');
}

const installed = 'install ok installed';

/**
 * A handful of real bookworm packages at versions that were current in early 2024, chosen for
 * what they exercise: a binNMU whose source version differs (bash), a source package of another
 * name (glibc, openssl, zlib), an epoch (zlib1g), `~` ordering (openssl), an arch-independent
 * package (tzdata), and a removed package whose configuration files remain (curl), which is not
 * installed and must not be listed.
 */
const DPKG_STATUS = [
  stanza({ Package: 'base-files', Status: installed, Priority: 'required', Architecture: 'amd64', Essential: 'yes', Version: '12.4+deb12u5' }, 'base system files'),
  stanza({ Package: 'bash', Status: installed, Architecture: 'amd64', Source: 'bash (5.2.15-2)', Version: '5.2.15-2+b2' }, 'the shell'),
  stanza({ Package: 'libc6', Status: installed, Architecture: 'amd64', 'Multi-Arch': 'same', Source: 'glibc', Version: '2.36-9+deb12u3' }, 'C library'),
  stanza({ Package: 'libssl3', Status: installed, Architecture: 'amd64', 'Multi-Arch': 'same', Source: 'openssl', Version: '3.0.11-1~deb12u2' }, 'TLS library'),
  stanza({ Package: 'openssl', Status: installed, Architecture: 'amd64', Version: '3.0.11-1~deb12u2' }, 'TLS command-line tool'),
  stanza({ Package: 'zlib1g', Status: installed, Architecture: 'amd64', 'Multi-Arch': 'same', Source: 'zlib', Version: '1:1.2.13.dfsg-1' }, 'deflate library'),
  stanza({ Package: 'tzdata', Status: installed, Architecture: 'all', Version: '2024a-0+deb12u1' }, 'time zone data'),
  stanza({ Package: 'curl', Status: 'deinstall ok config-files', Architecture: 'amd64', Version: '7.88.1-10+deb12u5' }, 'URL transfer tool (removed)'),
].join('\n');

const OS_RELEASE = [
  'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"',
  'NAME="Debian GNU/Linux"',
  'VERSION_ID="12"',
  'VERSION="12 (bookworm)"',
  'VERSION_CODENAME=bookworm',
  'ID=debian',
  '',
].join('\n');

/**
 * Its files: OS identification as Debian lays it out (etc/os-release a link to
 * usr/lib/os-release), the dpkg database, and hello.txt for tests of extension analyzers. No
 * file is executable.
 */
const ENTRIES: testImageBuilder.EntrySpec[] = [
  { name: 'etc/', type: 'directory' },
  { name: 'etc/debian_version', content: '12.5\n' },
  { name: 'etc/os-release', type: 'symlink', linkname: '../usr/lib/os-release' },
  { name: 'usr/', type: 'directory' },
  { name: 'usr/lib/', type: 'directory' },
  { name: 'usr/lib/os-release', content: OS_RELEASE },
  { name: 'var/', type: 'directory' },
  { name: 'var/lib/', type: 'directory' },
  { name: 'var/lib/dpkg/', type: 'directory' },
  { name: 'var/lib/dpkg/status', content: DPKG_STATUS },
  { name: 'hello.txt', content: 'hello from the tiny test image\n' },
];

/** Set by Jest's global setup (jest-global-setup.ts) to the folder of the built tiny image. */
export const TINY_IMAGE_VARIABLE = 'BULKHEAD_TINY_IMAGE';

/**
 * Builds the tiny test image as an OCI layout (gzip layer) and a docker-archive (uncompressed
 * layer, as `docker save` writes it) with our own image builder. Its bytes never change (fixed
 * content and mtimes), so it is kept under the OS temp folder in a folder named by its manifest
 * digest: building it again finds it there. Returns that folder.
 */
export async function buildTinyImage(): Promise<string> {
  const parent = path.join(tmpdir(), 'bulkhead-test-images');
  mkdirSync(parent, { recursive: true });
  // Written to a private folder first and renamed into place: concurrent builds each write their
  // own, and the first rename wins (the folder only ever appears complete).
  const staging = mkdtempSync(path.join(parent, '.tiny-'));
  const tar = await testImageBuilder.buildTar(ENTRIES);
  await testImageBuilder.writeOciLayout(path.join(staging, 'oci'), [{ ref: REF, layers: [{ tar, compression: 'gzip' }] }]);
  await testImageBuilder.writeDockerArchive(path.join(staging, 'docker-archive.tar'), [{ tar, compression: 'none' }], { tag: ARCHIVE_TAG });
  const { manifestDigest } = layoutDigests(path.join(staging, 'oci'), REF);
  const dir = path.join(parent, `tiny-${manifestDigest.slice('sha256:'.length, 'sha256:'.length + 16)}`);
  if (existsSync(dir)) rmSync(staging, { recursive: true, force: true });
  else {
    try {
      renameSync(staging, dir);
    } catch (error) {
      // another process renamed its identical copy first
      if (!existsSync(dir)) throw error;
      rmSync(staging, { recursive: true, force: true });
    }
  }
  return dir;
}

/** The tiny image that Jest's global setup built (it names the folder in BULKHEAD_TINY_IMAGE). */
export function tinyImage(): TinyImage {
  const dir = process.env[TINY_IMAGE_VARIABLE];
  if (!dir) throw new Error(`${TINY_IMAGE_VARIABLE} is not set: the tiny test image is built by Jest's global setup (libs/testing/src/jest-global-setup.ts, named in jest.config.cjs)`);
  const ociLayout = path.join(dir, 'oci');
  return { ociLayout, ociRef: REF, dockerArchive: path.join(dir, 'docker-archive.tar'), archiveTag: ARCHIVE_TAG, ...layoutDigests(ociLayout, REF), dpkgStatus: DPKG_STATUS };
}
