import { lstat, opendir } from 'node:fs/promises';
import path from 'node:path';
import { readLayer, resolveLimits, walkFinalFilesystem, type OpenedArtifact, type OpenedImage } from '@bulkhead/oci';
import type { ImageFilesystemView, ImageFsEntry } from './image-filesystem';

const WHITEOUT = '.wh.';
const OPAQUE = '.wh..wh..opq';

/**
 * The file-system view of an image or root file system opened with @bulkhead/oci. Entry modes
 * come from one header-only pass over the layers (whiteouts applied; no file bodies read);
 * contents come on demand from walkFinalFilesystem, which resolves symlinks like a chroot.
 */
export async function imageFilesystemView(artifact: OpenedArtifact, signal?: AbortSignal): Promise<ImageFilesystemView> {
  const entries = artifact.kind === 'rootfs' ? await rootfsEntries(artifact.root, signal) : await layerEntries(artifact, signal);
  return {
    entries,
    read: async (paths) => {
      const wanted = new Set(paths);
      const walk = await walkFinalFilesystem(artifact, (p) => wanted.has(p), signal ? { signal } : {});
      return new Map(walk.files.map((f) => [f.path, f.content]));
    },
  };
}

async function layerEntries(image: OpenedImage, signal?: AbortSignal): Promise<ImageFsEntry[]> {
  const entries = new Map<string, ImageFsEntry & { layer: number }>();
  const limits = resolveLimits(image.limits);
  const budget = { used: 0 };
  for (const layer of image.layers) {
    await readLayer(
      image,
      layer,
      {
        entry: (header) => {
          const name = normalise(header.name);
          if (name === '') return false;
          const dir = path.posix.dirname(name) === '.' ? '' : path.posix.dirname(name);
          const base = path.posix.basename(name);
          if (base === OPAQUE) {
            for (const [p, e] of entries) if (isUnder(p, dir) && e.layer < layer.index) entries.delete(p);
          } else if (base.startsWith(WHITEOUT)) {
            const target = dir ? `${dir}/${base.slice(WHITEOUT.length)}` : base.slice(WHITEOUT.length);
            for (const p of [...entries.keys()]) if (p === target || isUnder(p, target)) entries.delete(p);
          } else {
            entries.set(name, { path: name, mode: (header.mode ?? 0) & 0o7777, type: typeOf(header.type), layer: layer.index });
          }
          return false;
        },
        body: () => undefined,
      },
      { limits, budget, ...(signal ? { signal } : {}) },
    );
  }
  return [...entries.values()].map(({ layer: _layer, ...e }) => e);
}

async function rootfsEntries(root: string, signal?: AbortSignal): Promise<ImageFsEntry[]> {
  const out: ImageFsEntry[] = [];
  const rootInfo = await lstat(root);
  const stack = [''];
  for (let rel = stack.pop(); rel !== undefined; rel = stack.pop()) {
    signal?.throwIfAborted();
    let dir;
    try {
      dir = await opendir(path.join(root, rel));
    } catch {
      continue; // unreadable: the oci walker reports these
    }
    for await (const dirent of dir) {
      const child = rel === '' ? dirent.name : `${rel}/${dirent.name}`;
      if (rel === '' && root === '/' && ['proc', 'sys', 'dev', 'run'].includes(dirent.name)) continue;
      const info = await lstat(path.join(root, child)).catch(() => undefined);
      if (!info) continue;
      const type = info.isFile() ? 'file' : info.isDirectory() ? 'dir' : info.isSymbolicLink() ? 'symlink' : 'other';
      out.push({ path: child, mode: info.mode & 0o7777, type });
      if (type === 'dir' && info.dev === rootInfo.dev) stack.push(child);
    }
  }
  return out;
}

function normalise(name: string): string {
  return name
    .split('/')
    .filter((s) => s !== '' && s !== '.')
    .join('/');
}

function isUnder(p: string, dir: string): boolean {
  return dir === '' ? true : p.startsWith(`${dir}/`);
}

function typeOf(type: string | null | undefined): ImageFsEntry['type'] {
  switch (type) {
    case 'file':
    case 'contiguous-file':
    case 'link':
      return 'file';
    case 'directory':
      return 'dir';
    case 'symlink':
      return 'symlink';
    default:
      return 'other';
  }
}
