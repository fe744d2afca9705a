import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BadInputError } from '@bulkhead/plugin-sdk';
import { openImage, walkFinalFilesystem, type ExtractionLimits, type FilesystemWalk } from './index';
import { buildTar, sha256, writeDockerArchive, writeOciLayout, type EntrySpec, type LayerSpec } from './testing/image-builder';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'bh-oci-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const everything = (): boolean => true;

async function scanLayers(layers: LayerSpec[], wants: (p: string) => boolean = everything, limits?: Partial<ExtractionLimits>): Promise<FilesystemWalk> {
  const layout = path.join(dir, 'layout');
  await writeOciLayout(layout, [{ layers }]);
  const image = await openImage(`oci:${layout}`, { limits });
  return walkFinalFilesystem(image, wants, { limits });
}

function contents(walk: FilesystemWalk): Record<string, string> {
  return Object.fromEntries(walk.files.map((f) => [f.path, f.content.toString()]));
}

async function expectBadInput(promise: Promise<unknown>, pattern: RegExp): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(BadInputError);
  expect((error as Error).message).toMatch(pattern);
}

const osRelease: EntrySpec[] = [
  { name: 'etc/', type: 'directory' },
  { name: 'usr/lib/os-release', content: 'ID=debian\nVERSION_ID="12"\n' },
  { name: 'etc/os-release', type: 'symlink', linkname: '../usr/lib/os-release' },
];

describe('walkFinalFilesystem over layers', () => {
  it.each(['gzip', 'zstd', 'none'] as const)('reads a %s layer and reports its digest', async (compression) => {
    const walk = await scanLayers([{ entries: [{ name: 'a.txt', content: 'hello' }, { name: 'b.txt', content: 'unwanted' }], compression }], (p) => p === 'a.txt');
    expect(contents(walk)).toEqual({ 'a.txt': 'hello' });
    expect(walk.files[0]?.layer).toMatch(/^sha256:[a-f0-9]{64}$/);
  });

  it('trusts the magic bytes over a contradicting media type, with a warning', async () => {
    const walk = await scanLayers([{ entries: [{ name: 'a', content: 'plain' }], compression: 'none', mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip' }]);
    expect(contents(walk)).toEqual({ a: 'plain' });
    expect(walk.warnings).toEqual([expect.stringMatching(/layer 0 .*media type application\/vnd.oci.image.layer.v1.tar\+gzip says gzip but the content is uncompressed/)]);
  });

  it('applies whiteouts and opaque directories across layers', async () => {
    const walk = await scanLayers([
      { entries: [{ name: 'etc/a', content: 'a' }, { name: 'etc/b', content: 'b' }, { name: 'dir/x', content: 'x' }, { name: 'dir/sub/y', content: 'y' }, { name: 'gone/z', content: 'z' }] },
      { entries: [{ name: 'etc/.wh.a' }, { name: 'dir/w', content: 'w' }, { name: 'dir/.wh..wh..opq' }, { name: '.wh.gone' }] },
    ]);
    expect(contents(walk)).toEqual({ 'etc/b': 'b', 'dir/w': 'w' });
  });

  it('tracks which layer last wrote a file and keeps a history of wanted-file changes', async () => {
    const walk = await scanLayers([{ entries: [{ name: 'db', content: 'v1' }, { name: 'other', content: '1' }] }, { entries: [{ name: 'unrelated', content: '2' }] }, { entries: [{ name: 'db', content: 'v2' }] }], (p) => p === 'db');
    expect(walk.history.map((h) => [h.layerIndex, h.files.map((f) => f.content.toString())])).toEqual([
      [0, ['v1']],
      [2, ['v2']],
    ]);
    expect(walk.history).toHaveLength(2);
    expect(walk.files[0]?.layer).toBe(walk.history[1]?.layer);
  });

  it('resolves a symlinked os-release inside the image root, fetching an unwanted target in a second pass', async () => {
    const walk = await scanLayers([{ entries: osRelease }], (p) => p === 'etc/os-release');
    expect(contents(walk)).toEqual({ 'etc/os-release': 'ID=debian\nVERSION_ID="12"\n' });
  });

  it('follows absolute symlinks and directory symlinks with chroot semantics', async () => {
    const walk = await scanLayers([
      {
        entries: [
          { name: 'usr/lib/os-release', content: 'ID=alpine\n' },
          { name: 'lib', type: 'symlink', linkname: '/usr/lib' },
          { name: 'etc/os-release', type: 'symlink', linkname: '/lib/os-release' },
        ],
      },
      { entries: [{ name: 'lib/apk/installed', content: 'P:x' }] },
    ]);
    expect(contents(walk)['etc/os-release']).toBe('ID=alpine\n');
    // written through the `lib` symlink, so it lands under usr/lib as on a real host
    expect(contents(walk)['usr/lib/apk/installed']).toBe('P:x');
  });

  it('fetches a linked file written through a symlinked parent in the second pass', async () => {
    const walk = await scanLayers(
      [
        { entries: [{ name: 'lib', type: 'symlink', linkname: 'usr/lib' }, { name: 'usr/lib/', type: 'directory' }] },
        { entries: [{ name: 'lib/os-release', content: 'ID=merged\n' }, { name: 'etc/os-release', type: 'symlink', linkname: '/usr/lib/os-release' }] },
      ],
      (p) => p === 'etc/os-release',
    );
    expect(contents(walk)).toEqual({ 'etc/os-release': 'ID=merged\n' });
  });

  it('gives hardlinks the content of their target', async () => {
    const walk = await scanLayers([{ entries: [{ name: 'a', content: 'same bytes' }, { name: 'b', type: 'link', linkname: 'a' }] }], (p) => p === 'b');
    expect(contents(walk)).toEqual({ b: 'same bytes' });
  });

  it('skips wanted files over the size limit with a warning', async () => {
    const walk = await scanLayers([{ entries: [{ name: 'big', content: Buffer.alloc(2048) }] }], everything, { maxWantedFileBytes: 1024 });
    expect(walk.files).toEqual([]);
    expect(walk.warnings.join()).toMatch(/big .* over the 1024-byte limit/);
  });

  it('applies the caller\'s per-path limit (the analyzers\' maxFileSize) before holding a body', async () => {
    const layout = path.join(dir, 'layout');
    await writeOciLayout(layout, [{ layers: [{ entries: [{ name: 'etc/os-release', content: Buffer.alloc(4096, 0x41) }, { name: 'usr/bin/tool', content: Buffer.alloc(4096, 0x42) }] }] }]);
    const image = await openImage(`oci:${layout}`);
    const walk = await walkFinalFilesystem(image, everything, { wantedFileLimit: (p) => (p === 'etc/os-release' ? 1024 : 1_000_000) });
    expect(walk.files.map((f) => f.path)).toEqual(['usr/bin/tool']);
    expect(walk.warnings.join('\n')).toMatch(/etc\/os-release in layer 0 .* is 4096 bytes, over the 1024-byte limit: skipped/);
  });

  it('a hostile image of many large programs stays within the budget for held bodies (maxWantedTotalBytes)', async () => {
    // 24 "programs" of 4 MiB each in usr/bin (96 MiB; they compress to almost nothing) over the
    // base layer's package database; one is deleted by the upper layer (its bytes leave the budget).
    const MiB = 1024 * 1024;
    const program = (i: number): EntrySpec => ({ name: `usr/bin/tool${String(i).padStart(2, '0')}`, content: Buffer.alloc(4 * MiB, i) });
    const layout = path.join(dir, 'layout');
    await writeOciLayout(layout, [
      {
        layers: [
          { entries: [{ name: 'var/lib/dpkg/status', content: 'Package: bash\n' }, { name: 'usr/bin/', type: 'directory' }, ...Array.from({ length: 12 }, (_, i) => program(i))] },
          { entries: [{ name: 'usr/bin/.wh.tool00' }, ...Array.from({ length: 12 }, (_, i) => program(i + 12))] },
        ],
      },
    ]);
    const limits = { maxWantedTotalBytes: 20 * MiB };
    const image = await openImage(`oci:${layout}`, { limits });
    global.gc?.();
    const before = process.memoryUsage().arrayBuffers;
    const walk = await walkFinalFilesystem(image, everything, { limits });
    const held = walk.files.reduce((sum, f) => sum + f.content.length, 0);
    expect(held).toBeLessThanOrEqual(20 * MiB);
    // Four programs of layer 0 fit beside the database; tool00 is deleted above, freeing room for tool12.
    expect(walk.files.map((f) => f.path)).toEqual(['usr/bin/tool01', 'usr/bin/tool02', 'usr/bin/tool03', 'usr/bin/tool12', 'var/lib/dpkg/status']);
    // Each skipped program is named once.
    expect(walk.warnings.filter((w) => /pass the 20971520-byte budget \(maxWantedTotalBytes\): skipped/.test(w))).toHaveLength(19);
    expect(walk.warnings.filter((w) => /content unavailable/.test(w))).toEqual([]);
    global.gc?.();
    // What the walk still holds: its files, not the 96 MiB the image asked it to keep.
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(40 * MiB);
  });

  it('the budget applies to a root file system too', async () => {
    const root = path.join(dir, 'root');
    mkdirSync(path.join(root, 'usr/bin'), { recursive: true });
    for (const name of ['a', 'b', 'c']) writeFileSync(path.join(root, 'usr/bin', name), Buffer.alloc(3000));
    const image = await openImage(`rootfs:${root}`);
    const walk = await walkFinalFilesystem(image, everything, { limits: { maxWantedTotalBytes: 7000 }, wantedFileLimit: (p) => (p === 'usr/bin/c' ? 100 : 5000) });
    expect(walk.files.map((f) => f.path)).toEqual(['usr/bin/a', 'usr/bin/b']);
  });

  it('honours an aborted signal', async () => {
    const layout = path.join(dir, 'layout');
    await writeOciLayout(layout, [{ layers: [{ entries: [{ name: 'a', content: 'x' }] }] }]);
    const image = await openImage(`oci:${layout}`);
    await expect(walkFinalFilesystem(image, everything, { signal: AbortSignal.abort(new Error('cancelled by test')) })).rejects.toThrow('cancelled by test');
  });
});

describe('hostile layers', () => {
  it('refuses an entry escaping the root with ../', async () => {
    await expectBadInput(scanLayers([{ entries: [{ name: 'ok', content: '1' }, { name: 'a/../../etc/passwd', content: 'x' }] }]), /layer 0 \(sha256:[a-f0-9]+\): entry "a\/..\/..\/etc\/passwd" escapes the image root/);
  });

  it('refuses an absolute entry path', async () => {
    await expectBadInput(scanLayers([{ entries: [{ name: '/etc/passwd', content: 'x' }] }]), /layer 0 .*entry "\/etc\/passwd" has an absolute path/);
  });

  it('refuses a symlink whose target escapes the root', async () => {
    await expectBadInput(scanLayers([{ entries: [{ name: 'a/link', type: 'symlink', linkname: '../../../etc/shadow' }] }]), /layer 0 .*symlink a\/link -> ..\/..\/..\/etc\/shadow escapes the image root/);
  });

  it('refuses a hardlink whose target escapes the root', async () => {
    await expectBadInput(scanLayers([{ entries: [{ name: 'h', type: 'link', linkname: '../etc/shadow' }] }]), /layer 0 .*hardlink h -> ..\/etc\/shadow escapes the image root/);
  });

  it('reports a truncated gzip layer', async () => {
    const tarBytes = await buildTar([{ name: 'f', content: Buffer.alloc(100_000, 7) }]);
    await expectBadInput(scanLayers([{ tar: tarBytes, mutateBlob: (blob) => blob.subarray(0, blob.length - 20), claimedDigest: undefined }]), /layer 0 .*truncated or corrupt gzip data/);
  });

  it('reports a truncated zstd layer', async () => {
    const tarBytes = await buildTar([{ name: 'f', content: Buffer.from('x'.repeat(200_000)) }]);
    await expectBadInput(scanLayers([{ tar: tarBytes, compression: 'zstd', mutateBlob: (blob) => blob.subarray(0, blob.length - 10) }]), /layer 0 .*truncated or corrupt zstd data/);
  });

  it('reports a manifest naming a missing blob', async () => {
    await expectBadInput(scanLayers([{ entries: [{ name: 'f', content: 'x' }], omitBlob: true }]), /layer 0 names blob sha256:[a-f0-9]{64}, which is missing/);
  });

  it('reports a layer digest mismatch with both digests', async () => {
    const claimed = sha256('not the layer');
    await expectBadInput(scanLayers([{ entries: [{ name: 'f', content: 'x' }], claimedDigest: claimed }]), new RegExp(`layer 0 .*digest mismatch: expected ${claimed}, actual sha256:[a-f0-9]{64}`));
  });

  it('reports a diff_id mismatch', async () => {
    const claimed = sha256('not the tar');
    await expectBadInput(scanLayers([{ entries: [{ name: 'f', content: 'x' }], claimedDiffId: claimed }]), new RegExp(`diff_id\\) mismatch: expected ${claimed}`));
  });

  it('stops a 1000:1 gzip decompression bomb', async () => {
    const bomb = await buildTar([{ name: 'zeros', content: Buffer.alloc(16 * 1024 * 1024) }]);
    await expectBadInput(scanLayers([{ tar: bomb }], everything, { expansionFloorBytes: 1024 * 1024, maxExpansionRatio: 100 }), /layer 0 .*decompression bomb: \d+ compressed bytes expanded to \d+ \(over 100:1\)/);
  });

  it('enforces the total uncompressed size limit', async () => {
    await expectBadInput(
      scanLayers([{ entries: [{ name: 'a', content: Buffer.alloc(600_000, 1) }] }, { entries: [{ name: 'b', content: Buffer.alloc(600_000, 2) }] }], everything, { maxTotalUncompressedBytes: 1_000_000 }),
      /layer 1 .*past the 1000000-byte limit on total uncompressed size/,
    );
  });

  it('reports a truncated tar inside a valid gzip stream', async () => {
    const tarBytes = await buildTar([{ name: 'f', content: Buffer.alloc(10_000, 7) }]);
    await expectBadInput(scanLayers([{ tar: tarBytes.subarray(0, 2048) }]), /layer 0 .*corrupt or truncated tar/);
  });
});

describe('openImage', () => {
  it('names the accepted forms for an unknown scheme', async () => {
    await expectBadInput(openImage('ftp:/x'), /unknown source "ftp:"/);
    // A reference without a registry host is not guessed to be Docker Hub.
    await expectBadInput(openImage('team/app:1'), /unknown source \(no scheme\); accepted forms: oci:<dir>\[:<ref>\], docker-archive:<file>, rootfs:<dir>, registry:<host>\[:port\]\/<repo>/);
  });

  it('picks a manifest by ref and lists the available refs when the ref is unknown', async () => {
    const layout = path.join(dir, 'layout');
    const [first, second] = await writeOciLayout(layout, [
      { ref: 'one', layers: [{ entries: [{ name: 'x', content: '1' }] }] },
      { ref: 'two', layers: [{ entries: [{ name: 'x', content: '2' }] }] },
    ]);
    expect(await openImage(`oci:${layout}:two`)).toMatchObject({ manifestDigest: second, manifestDigests: [second] });
    const one = await openImage(`oci:${layout}:one`);
    expect(one).toMatchObject({ manifestDigest: first, manifestDigests: [first] });
    if (one.kind !== 'image') throw new Error('expected an image');
    expect(one.digest).toBe(one.configDigest);
    await expectBadInput(openImage(`oci:${layout}:three`), /no manifest with ref "three"; available refs: one, two/);
    await expectBadInput(openImage(`oci:${layout}`), /lists 2 manifests; name one with oci:<dir>:<ref> \(available refs: one, two\)/);
  });

  it('picks linux/amd64 from a nested index', async () => {
    const layout = path.join(dir, 'layout');
    const [arm, amd] = await writeOciLayout(
      layout,
      [
        { architecture: 'arm64', layers: [{ entries: [{ name: 'x', content: 'arm' }] }] },
        { architecture: 'amd64', layers: [{ entries: [{ name: 'x', content: 'amd' }] }] },
      ],
      { nestedIndex: true },
    );
    const image = await openImage(`oci:${layout}:multi`);
    expect(image).toMatchObject({ manifestDigest: amd, manifestDigests: [amd, expect.stringMatching(/^sha256:/)] });
    expect(arm).not.toBe(amd);
    expect(contents(await walkFinalFilesystem(image, everything))).toEqual({ x: 'amd' });
  });

  it('reads a legacy docker-archive with a gzip layer (hashing the blob first) and its tags', async () => {
    const file = path.join(dir, 'image.tar');
    await writeDockerArchive(file, [{ entries: [{ name: 'x', content: 'base' }] }, { entries: [{ name: 'x', content: 'top' }], compression: 'none' }], { tag: 'acme/app:2' });
    const image = await openImage(`docker-archive:${file}`);
    expect(image.references).toEqual([`docker-archive:${file}`, 'acme/app:2']);
    if (image.kind !== 'image') throw new Error('expected an image');
    expect(image).toMatchObject({ digest: image.configDigest, manifestDigests: [] });
    expect(image.layers.map((l) => l.mediaType)).toEqual(['application/vnd.oci.image.layer.v1.tar+gzip', 'application/vnd.oci.image.layer.v1.tar']);
    expect(image.layers[1]?.digest).toBe(image.layers[1]?.diffId);
    const walk = await walkFinalFilesystem(image, everything);
    expect(contents(walk)).toEqual({ x: 'top' });
    expect(walk.files[0]?.layer).toBe(image.layers[1]?.digest);
  });

  it('reads the OCI layout inside a docker save archive and keeps the manifest digest', async () => {
    const file = path.join(dir, 'image.tar');
    await writeDockerArchive(file, [{ entries: [{ name: 'x', content: 'oci inside' }], compression: 'zstd' }], { ociInside: true });
    const image = await openImage(`docker-archive:${file}`);
    expect(image).toMatchObject({ kind: 'image', manifestDigest: expect.stringMatching(/^sha256:/) });
    if (image.kind !== 'image' || !image.manifestDigest) throw new Error('expected an image with a manifest');
    expect(image.manifestDigests).toEqual([image.manifestDigest]);
    expect(image.digest).toBe(image.configDigest);
    expect(image.references).toContain('test/built:1');
    expect(contents(await walkFinalFilesystem(image, everything))).toEqual({ x: 'oci inside' });
  });

  it('refuses a docker-archive member symlink that leaves the archive', async () => {
    const file = path.join(dir, 'image.tar');
    const config = JSON.stringify({ rootfs: { type: 'layers', diff_ids: [sha256('x')] } });
    writeFileSync(
      file,
      await buildTar([
        { name: 'cfg.json', content: config },
        { name: 'l/layer.tar', type: 'symlink', linkname: '../../../etc/passwd' },
        { name: 'manifest.json', content: JSON.stringify([{ Config: 'cfg.json', Layers: ['l/layer.tar'] }]) },
      ]),
    );
    await expectBadInput(openImage(`docker-archive:${file}`), /member l\/layer.tar links to "..\/..\/..\/etc\/passwd", outside the archive/);
  });

  it('reports a truncated docker-archive', async () => {
    const file = path.join(dir, 'image.tar');
    const whole = await buildTar([{ name: 'manifest.json', content: '[]' }, { name: 'big.tar', content: Buffer.alloc(10_000) }]);
    writeFileSync(file, whole.subarray(0, 3000));
    await expectBadInput(openImage(`docker-archive:${file}`), /truncated: member at byte \d+ needs 10000 bytes past the end of the file/);
  });

  it('reports a docker-archive layer that is missing', async () => {
    const file = path.join(dir, 'image.tar');
    const pack = await buildTar([
      { name: 'cfg.json', content: JSON.stringify({ rootfs: { type: 'layers', diff_ids: [sha256('x')] } }) },
      { name: 'manifest.json', content: JSON.stringify([{ Config: 'cfg.json', Layers: ['nope/layer.tar'] }]) },
    ]);
    writeFileSync(file, pack);
    await expectBadInput(openImage(`docker-archive:${file}`), /manifest.json layer 0 names nope\/layer.tar, which is missing/);
  });
});

describe('rootfs sources', () => {
  it('walks a directory, resolves symlinks inside it and skips unreadable files', async () => {
    const root = path.join(dir, 'root');
    mkdirSync(path.join(root, 'usr/lib'), { recursive: true });
    mkdirSync(path.join(root, 'etc'));
    writeFileSync(path.join(root, 'usr/lib/os-release'), 'ID=debian\n');
    symlinkSync('/usr/lib/os-release', path.join(root, 'etc/os-release'));
    symlinkSync('/etc/hostname', path.join(root, 'etc/hostname'));
    const image = await openImage(`rootfs:${root}`);
    const walk = await walkFinalFilesystem(image, (p) => p.startsWith('etc/'));
    // etc/hostname -> /etc/hostname points at itself inside the root, never at the host's file
    expect(contents(walk)).toEqual({ 'etc/os-release': 'ID=debian\n' });
    expect(walk.warnings.join()).toMatch(/etc\/hostname: symlink loop/);
    expect(walk.files[0]?.layer).toBeUndefined();
  });

  it('scans the live root file system without failing', async () => {
    const walk = await walkFinalFilesystem(await openImage('rootfs:/'), (p) => p === 'etc/os-release' || p === 'usr/lib/os-release');
    expect(walk.files.length).toBeGreaterThan(0);
  }, 60_000);
});
