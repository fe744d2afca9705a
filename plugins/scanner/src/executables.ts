import { resolveInRoot, type FinalEntry } from '@bulkhead/oci';

/** More paths than this (aliases multiply them) are cut off with a warning rather than stored. */
export const MAX_EXECUTABLE_PATHS = 200_000;

/**
 * Collects, from the final file-system entries of an image, the absolute paths a process in the
 * image can exec that end at an executable regular file: the files with any exec bit (hardlinks
 * included), symlinks that resolve to one inside the image (`/usr/bin/sh -> dash`), and every
 * such path again under each directory symlink leading to its directory (merged-usr `/bin ->
 * usr/bin` makes `/bin/dash` and `/bin/sh` valid too). Only exec files and symlinks are kept
 * while the entries stream in, never the whole listing.
 */
export class ExecutableCollector {
  private readonly files = new Set<string>();
  private readonly symlinks = new Map<string, string>();

  readonly add = (entry: FinalEntry): void => {
    if ((entry.type === 'file' || entry.type === 'hardlink') && (entry.mode & 0o111) !== 0) this.files.add(entry.path);
    else if (entry.type === 'symlink' && entry.linkTarget !== undefined) this.symlinks.set(entry.path, entry.linkTarget);
  };

  /** Sorted absolute paths (see the class comment), and a warning when the cap cut them short. */
  result(): { executables: string[]; warnings: string[] } {
    const readlink = (p: string): string | undefined => this.symlinks.get(p);
    const found = new Set(this.files);
    // symlink path -> resolved directory, for symlinks that end at a directory holding executables
    const aliases: { from: string; to: string }[] = [];
    const dirs = new Set<string>();
    for (const file of this.files) for (let slash = file.lastIndexOf('/'); slash > 0; slash = file.lastIndexOf('/', slash - 1)) dirs.add(file.slice(0, slash));
    for (const link of this.symlinks.keys()) {
      const target = resolveInRoot(link, readlink, true);
      if (target === undefined) continue; // a loop: the kernel refuses it too
      if (this.files.has(target)) found.add(link);
      else if ((target === '' || dirs.has(target)) && target !== link) aliases.push({ from: link, to: target });
    }
    const warnings: string[] = [];
    // Each alias is applied at most once per derived path, which bounds self-referencing links
    // such as Debian's `usr/bin/X11 -> .` to one level (X11/ls, not X11/X11/ls).
    const none: ReadonlySet<number> = new Set();
    const queue: { path: string; used: ReadonlySet<number> }[] = [...found].map((p) => ({ path: p, used: none }));
    for (let item = queue.pop(); item !== undefined; item = queue.pop()) {
      for (const [index, alias] of aliases.entries()) {
        if (item.used.has(index)) continue;
        const prefix = alias.to === '' ? '' : `${alias.to}/`;
        if (!item.path.startsWith(prefix)) continue;
        const aliased = `${alias.from}/${item.path.slice(prefix.length)}`;
        if (found.has(aliased)) continue;
        if (found.size >= MAX_EXECUTABLE_PATHS) {
          warnings.push(`more than ${MAX_EXECUTABLE_PATHS} executable paths (counting symlinked directories): the rest are left out`);
          return { executables: [...found].map((p) => `/${p}`).sort(), warnings };
        }
        found.add(aliased);
        queue.push({ path: aliased, used: new Set([...item.used, index]) });
      }
    }
    return { executables: [...found].map((p) => `/${p}`).sort(), warnings };
  }
}
