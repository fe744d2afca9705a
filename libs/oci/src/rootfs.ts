import { lstatSync, readlinkSync } from 'node:fs';
import { lstat, opendir, open } from 'node:fs/promises';
import path from 'node:path';
import type { ExtractionLimits } from './limits';
import { resolveInRoot } from './paths';
import type { ImageFile } from './walk';

/** Top-level directories of a live system that hold no installed software, only kernel views. */
const LIVE_SYSTEM_SKIP = new Set(['proc', 'sys', 'dev', 'run']);

/**
 * Walks a directory as an image root. Only wanted files are read. Directories on another device
 * than the root (mounts: /proc, bind mounts, network shares) are not entered, like `find -xdev`;
 * for `/` the kernel and runtime trees are skipped by name too. Unreadable directories and files
 * are skipped with a warning, never fatal: scanning a live host as non-root must still work.
 */
export async function walkRootfs(
  root: string,
  wants: (path: string) => boolean,
  options: { limits: ExtractionLimits; signal?: AbortSignal },
): Promise<{ files: ImageFile[]; warnings: string[] }> {
  const warnings: string[] = [];
  const rootInfo = await lstat(root);
  const wanted: string[] = [];
  const stack: string[] = [''];
  let visited = 0;
  for (let rel = stack.pop(); rel !== undefined; rel = stack.pop()) {
    if (++visited % 256 === 0) options.signal?.throwIfAborted();
    let dir;
    try {
      dir = await opendir(path.join(root, rel), { bufferSize: 256 });
    } catch (error) {
      warnings.push(`${rel || '/'}: not readable (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}): skipped`);
      continue;
    }
    for await (const dirent of dir) {
      const child = rel === '' ? dirent.name : `${rel}/${dirent.name}`;
      if (dirent.isDirectory()) {
        if (rel === '' && root === '/' && LIVE_SYSTEM_SKIP.has(dirent.name)) continue;
        const info = await lstat(path.join(root, child)).catch(() => undefined);
        if (info && info.dev === rootInfo.dev) stack.push(child);
      } else if ((dirent.isFile() || dirent.isSymbolicLink()) && wants(child)) {
        wanted.push(child);
      }
    }
  }
  const readlink = (rel: string): string | undefined => {
    try {
      const full = path.join(root, rel);
      return lstatSync(full).isSymbolicLink() ? readlinkSync(full) : undefined;
    } catch {
      return undefined;
    }
  };
  const files: ImageFile[] = [];
  for (const rel of wanted.sort()) {
    const target = resolveInRoot(rel, readlink, true);
    if (target === undefined) {
      warnings.push(`${rel}: symlink loop: skipped`);
      continue;
    }
    const content = await readLimited(path.join(root, target), options.limits.maxWantedFileBytes).catch((error: NodeJS.ErrnoException) => {
      warnings.push(`${rel}: not readable (${error.code ?? error.message}): skipped`);
      return undefined;
    });
    if (content) files.push({ path: rel, content });
  }
  return { files, warnings };
}

async function readLimited(file: string, maxBytes: number): Promise<Buffer | undefined> {
  const handle = await open(file, 'r');
  try {
    const info = await handle.stat();
    if (!info.isFile()) return undefined;
    if (info.size > maxBytes) throw Object.assign(new Error(`${info.size} bytes, over the ${maxBytes}-byte limit`), { code: 'ETOOBIG' });
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}
