import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openImage, walkFinalFilesystem, type FinalEntry } from './index';
import { writeOciLayout, type LayerSpec } from './testing/image-builder';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'bh-oci-entries-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function finalEntries(
  layers: LayerSpec[],
  wants: (p: string) => boolean = () => false,
): Promise<{ entries: Record<string, Omit<FinalEntry, 'path' | 'layerIndex'>>; files: string[]; layerOf: Record<string, number | undefined> }> {
  const layout = path.join(dir, 'layout');
  await writeOciLayout(layout, [{ layers }]);
  const entries: Record<string, Omit<FinalEntry, 'path' | 'layerIndex'>> = {};
  const layerOf: Record<string, number | undefined> = {};
  const walk = await walkFinalFilesystem(await openImage(`oci:${layout}`), wants, {
    onFinalEntry: ({ path: p, layerIndex, ...rest }) => {
      expect(entries[p]).toBeUndefined(); // each entry once
      entries[p] = rest;
      layerOf[p] = layerIndex;
    },
  });
  return { entries, files: walk.files.map((f) => f.path), layerOf };
}

describe('final file-system entries of an image', () => {
  it('names the layer that last wrote each entry', async () => {
    const { layerOf } = await finalEntries([
      { entries: [{ name: 'etc/a', content: 'a0' }, { name: 'etc/b', content: 'b0' }] },
      { entries: [{ name: 'etc/b', content: 'b1' }, { name: 'etc/c', content: 'c1' }] },
    ]);
    expect(layerOf).toEqual({ 'etc/a': 0, 'etc/b': 1, 'etc/c': 1 });
  });

  it('reports path, type, mode, size and link target of every final entry', async () => {
    const { entries } = await finalEntries([
      {
        entries: [
          { name: 'usr/', type: 'directory' },
          { name: 'usr/bin/', type: 'directory', mode: 0o755 },
          { name: 'usr/bin/dash', content: 'ELF dash', mode: 0o755 },
          { name: 'usr/bin/su', content: 'ELF su', mode: 0o4755 },
          { name: 'usr/bin/sh', type: 'symlink', linkname: 'dash' },
          { name: 'usr/bin/sh.hard', type: 'link', linkname: 'usr/bin/dash' },
          { name: 'bin', type: 'symlink', linkname: 'usr/bin' },
          { name: 'etc/motd', content: 'hello', mode: 0o600 },
        ],
      },
    ]);
    expect(entries).toEqual({
      usr: { type: 'dir', mode: 0o755, size: 0 },
      'usr/bin': { type: 'dir', mode: 0o755, size: 0 },
      'usr/bin/dash': { type: 'file', mode: 0o755, size: 8 },
      'usr/bin/su': { type: 'file', mode: 0o4755, size: 6 },
      'usr/bin/sh': { type: 'symlink', mode: 0o777, size: 0, linkTarget: 'dash' },
      'usr/bin/sh.hard': { type: 'hardlink', mode: 0o755, size: 8, linkTarget: 'usr/bin/dash' },
      bin: { type: 'symlink', mode: 0o777, size: 0, linkTarget: 'usr/bin' },
      'etc/motd': { type: 'file', mode: 0o600, size: 5 },
    });
  });

  it('honours whiteouts and opaque directories exactly like the file walk', async () => {
    const layers: LayerSpec[] = [
      { entries: [{ name: 'etc/a', content: 'a' }, { name: 'etc/b', content: 'b' }, { name: 'dir/x', content: 'x' }, { name: 'dir/sub/y', content: 'y' }, { name: 'gone/z', content: 'z' }, { name: 'gone/', type: 'directory' }] },
      { entries: [{ name: 'etc/.wh.a' }, { name: 'dir/w', content: 'w' }, { name: 'dir/.wh..wh..opq' }, { name: '.wh.gone' }, { name: 'etc/b', content: 'bb', mode: 0o700 }] },
    ];
    const { entries, files } = await finalEntries(layers, () => true);
    expect(Object.keys(entries).sort()).toEqual(['dir/w', 'etc/b']);
    expect(entries['etc/b']).toEqual({ type: 'file', mode: 0o700, size: 2 });
    expect(files).toEqual(Object.keys(entries).sort());
  });

  it('places entries written through a symlinked directory where they land, and a replaced directory loses its contents', async () => {
    const { entries } = await finalEntries([
      { entries: [{ name: 'usr/lib/', type: 'directory' }, { name: 'lib', type: 'symlink', linkname: '/usr/lib' }, { name: 'opt/tool/', type: 'directory' }, { name: 'opt/tool/run', content: '#!/bin/sh', mode: 0o755 }] },
      { entries: [{ name: 'lib/libx.so', content: 'so', mode: 0o755 }, { name: 'opt/tool', type: 'symlink', linkname: '/usr/lib' }] },
    ]);
    expect(Object.keys(entries).sort()).toEqual(['lib', 'opt/tool', 'usr/lib', 'usr/lib/libx.so']);
    expect(entries['opt/tool']).toEqual({ type: 'symlink', mode: 0o777, size: 0, linkTarget: '/usr/lib' });
  });

  it('takes an upper layer directory entry as the new permissions without dropping its contents', async () => {
    const { entries } = await finalEntries([{ entries: [{ name: 'tmp/', type: 'directory', mode: 0o755 }, { name: 'tmp/f', content: 'f' }] }, { entries: [{ name: 'tmp/', type: 'directory', mode: 0o1777 }] }]);
    expect(entries['tmp']).toEqual({ type: 'dir', mode: 0o1777, size: 0 });
    expect(entries['tmp/f']).toEqual({ type: 'file', mode: 0o644, size: 1 });
  });
});

describe('final file-system entries of a root file system', () => {
  it('reports entries from lstat, symlinks unresolved', async () => {
    const root = path.join(dir, 'root');
    mkdirSync(path.join(root, 'usr/bin'), { recursive: true });
    writeFileSync(path.join(root, 'usr/bin/dash'), 'ELF');
    chmodSync(path.join(root, 'usr/bin/dash'), 0o755);
    symlinkSync('dash', path.join(root, 'usr/bin/sh'));
    symlinkSync('usr/bin', path.join(root, 'bin'));
    const seen: FinalEntry[] = [];
    await walkFinalFilesystem(await openImage(`rootfs:${root}`), () => false, { onFinalEntry: (e) => seen.push(e) });
    expect(seen.sort((a, b) => a.path.localeCompare(b.path))).toEqual([
      { path: 'bin', type: 'symlink', mode: 0o777, size: 0, linkTarget: 'usr/bin' },
      { path: 'usr', type: 'dir', mode: expect.any(Number), size: 0 },
      { path: 'usr/bin', type: 'dir', mode: expect.any(Number), size: 0 },
      { path: 'usr/bin/dash', type: 'file', mode: 0o755, size: 3 },
      { path: 'usr/bin/sh', type: 'symlink', mode: 0o777, size: 0, linkTarget: 'dash' },
    ]);
  });
});
