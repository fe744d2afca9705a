/**
 * Path handling inside an image root. Paths are relative to the root, `/`-separated, without a
 * leading slash, `.` or `..` components (`usr/lib/os-release`); the root itself is ''.
 */

/** Lexically normalises `path` relative to `base`; returns undefined when `..` climbs above the root. */
export function joinWithinRoot(base: string, path: string): string | undefined {
  const out = base === '' ? [] : base.split('/');
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length === 0) return undefined;
      out.pop();
    } else out.push(part);
  }
  return out.join('/');
}

export function parentOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? '' : path.slice(0, slash);
}

export function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** What a resolver needs to know about a path: only symlinks matter. */
export type SymlinkLookup = (path: string) => string | undefined;

const MAX_SYMLINK_HOPS = 40;

/**
 * Resolves `path` with chroot semantics: symlinks are followed inside the root (an absolute
 * target starts again at the root, `..` at the root stays at the root), as the kernel does for a
 * process chrooted into the image. `followFinal` decides whether a symlink in the last component
 * is followed. Returns undefined for a symlink loop (more than 40 hops, like Linux).
 */
export function resolveInRoot(path: string, readlink: SymlinkLookup, followFinal: boolean): string | undefined {
  const queue = path.split('/').reverse();
  const resolved: string[] = [];
  let hops = 0;
  for (let part = queue.pop(); part !== undefined; part = queue.pop()) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      resolved.pop();
      continue;
    }
    const candidate = resolved.length === 0 ? part : `${resolved.join('/')}/${part}`;
    const isLast = queue.length === 0;
    const target = isLast && !followFinal ? undefined : readlink(candidate);
    if (target === undefined) {
      resolved.push(part);
      continue;
    }
    if (++hops > MAX_SYMLINK_HOPS) return undefined;
    if (target.startsWith('/')) resolved.length = 0;
    queue.push(...target.split('/').reverse());
  }
  return resolved.join('/');
}
