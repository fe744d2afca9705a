import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openImage, walkFinalFilesystem, type LayerFileHook } from './index';
import { writeDockerArchive, writeOciLayout, type LayerSpec } from './testing/image-builder';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'bh-oci-layer-files-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

interface Seen {
  layer: number;
  path: string;
  content: string;
}

function recorder(wants: (path: string, size: number) => boolean = () => true): { hook: LayerFileHook; seen: Seen[]; asked: [string, number][] } {
  const seen: Seen[] = [];
  const asked: [string, number][] = [];
  return {
    seen,
    asked,
    hook: {
      wants: (p, size) => {
        asked.push([p, size]);
        return wants(p, size);
      },
      file: (layer, p, content) => seen.push({ layer, path: p, content: content.toString() }),
    },
  };
}

const layers: LayerSpec[] = [
  {
    entries: [
      { name: 'etc/', type: 'directory' },
      { name: 'etc/secret', content: 'first' },
      { name: 'etc/kept', content: 'kept' },
      { name: 'var/lib/dpkg/status', content: 'Package: a\n' },
      { name: 'opt/real/', type: 'directory' },
      { name: 'opt/link', type: 'symlink', linkname: 'real' },
      { name: 'etc/hard', type: 'link', linkname: 'etc/kept' },
    ],
  },
  // Layer 1 deletes etc/secret, rewrites the dpkg status and writes through a symlinked parent.
  { entries: [{ name: 'etc/.wh.secret' }, { name: 'var/lib/dpkg/status', content: 'Package: b\n' }, { name: 'opt/link/conf', content: 'via link' }] },
];

describe('onLayerFile: every regular file of every layer as it streams', () => {
  it('sees deleted and replaced files with their layer, under canonical paths, alongside the analyzers', async () => {
    const layout = path.join(dir, 'layout');
    await writeOciLayout(layout, [{ layers }]);
    const { hook, seen } = recorder();
    const walk = await walkFinalFilesystem(await openImage(`oci:${layout}`), (p) => p === 'var/lib/dpkg/status', { onLayerFile: hook });
    expect(seen).toEqual([
      { layer: 0, path: 'etc/secret', content: 'first' },
      { layer: 0, path: 'etc/kept', content: 'kept' },
      { layer: 0, path: 'var/lib/dpkg/status', content: 'Package: a\n' },
      { layer: 1, path: 'var/lib/dpkg/status', content: 'Package: b\n' },
      { layer: 1, path: 'opt/real/conf', content: 'via link' },
    ]);
    // The analyzers' wanted file is unaffected by the hook sharing its body.
    expect(walk.files.map((f) => [f.path, f.content.toString()])).toEqual([['var/lib/dpkg/status', 'Package: b\n']]);
  });

  it('reads only the bodies the hook wants, deciding on path and size', async () => {
    const archive = path.join(dir, 'image.tar');
    await writeDockerArchive(archive, layers);
    const { hook, seen, asked } = recorder((p, size) => p.startsWith('etc/') && size < 5);
    await walkFinalFilesystem(await openImage(`docker-archive:${archive}`), () => false, { onLayerFile: hook });
    expect(asked).toContainEqual(['etc/secret', 5]);
    expect(asked).toContainEqual(['opt/real/conf', 8]);
    // Links, directories and whiteouts are not files with bodies.
    expect(asked.map(([p]) => p)).not.toContain('etc/hard');
    expect(asked.map(([p]) => p)).not.toContain('opt/link');
    expect(seen).toEqual([{ layer: 0, path: 'etc/kept', content: 'kept' }]);
  });

  it('drops a body the hook refuses from its first bytes, unless an analyzer wants it', async () => {
    const layout = path.join(dir, 'layout');
    await writeOciLayout(layout, [{ layers: [{ entries: [{ name: 'bin/tool', content: Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 1]) }, { name: 'etc/conf', content: 'text' }, { name: 'etc/wanted', content: Buffer.from([0, 1, 2]) }] }] }]);
    const heads: string[] = [];
    const { hook, seen } = recorder();
    hook.accepts = (head) => {
      heads.push(head.toString('latin1'));
      return !head.includes(0);
    };
    const walk = await walkFinalFilesystem(await openImage(`oci:${layout}`), (p) => p === 'etc/wanted', { onLayerFile: hook });
    // A body an analyzer also wants is read whole and handed over without asking.
    expect(seen).toEqual([
      { layer: 0, path: 'etc/conf', content: 'text' },
      { layer: 0, path: 'etc/wanted', content: '\u0000\u0001\u0002' },
    ]);
    expect(heads).toEqual(['\x7fELF\x00\x01', 'text']);
    expect(walk.files.map((f) => [f.path, [...f.content]])).toEqual([['etc/wanted', [0, 1, 2]]]);
  });

  it('walks a root file system once, as layer 0, reading only what the hook wants', async () => {
    const root = path.join(dir, 'root');
    mkdirSync(path.join(root, 'etc'), { recursive: true });
    writeFileSync(path.join(root, 'etc', 'a'), 'aaaa');
    writeFileSync(path.join(root, 'etc', 'big'), 'x'.repeat(100));
    symlinkSync('a', path.join(root, 'etc', 'link'));
    const { hook, seen } = recorder((_p, size) => size < 50);
    await walkFinalFilesystem(await openImage(`rootfs:${root}`), () => false, { onLayerFile: hook });
    expect(seen).toEqual([{ layer: 0, path: 'etc/a', content: 'aaaa' }]);
  });
});
