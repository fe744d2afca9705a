import { BadInputError } from '@bulkhead/plugin-sdk';
import type { LayerEntryHeader } from './layer-reader';
import { baseName, joinWithinRoot, parentOf, resolveInRoot } from './paths';

/** Where a regular file's bytes physically live: a tar entry of one layer. */
export interface FileSource {
  layer: number;
  entry: string;
}

export interface FsNode {
  kind: 'file' | 'dir' | 'symlink' | 'other';
  /** Index of the layer that last wrote this path. */
  layer: number;
  size: number;
  /** Permission bits with setuid/setgid/sticky (`& 0o7777`) from the tar header. */
  mode: number;
  /** Symlinks: the target as written. Hardlinks (kind 'file'): the root-relative path linked to. */
  linkTarget?: string;
  /**
   * Where the bytes live when that is not (this node's layer, its own path): hardlinks, and
   * entries written through a symlinked parent. Left out otherwise to keep per-path metadata
   * small on images with a million files.
   */
  source?: FileSource;
  content?: Buffer;
}

/** Where a file node's bytes live (see FsNode.source). */
export function sourceOf(path: string, node: FsNode): FileSource {
  return node.source ?? { layer: node.layer, entry: path };
}

const WHITEOUT_PREFIX = '.wh.';
const OPAQUE_WHITEOUT = '.wh..wh..opq';

/**
 * The image file system as layers are applied in order, keeping metadata for every path but
 * content only for wanted files. Implements the OCI layer changeset rules: `.wh.<name>` deletes
 * `<name>` from lower layers, `.wh..wh..opq` hides everything lower layers put in its directory,
 * a non-directory replaces a directory with everything under it, and parent directories are
 * resolved through symlinks inside the root (as containerd's applier does), never outside it.
 */
export class LayeredFilesystem {
  readonly nodes = new Map<string, FsNode>();
  /** Paths for which `wants` said yes and that currently exist. */
  readonly wanted = new Set<string>();
  private symlinkCount = 0;
  /** Set when a wanted path changed in the current layer (a new inventory snapshot is due). */
  wantedChanged = false;
  /** Bytes of the bodies kept for files that still exist (hardlinks share their target's). */
  keptBytes = 0;
  /**
   * Canonical path of the regular file the last `apply` wrote (parents resolved through
   * symlinks), undefined when that entry was anything else: lets a caller look at every file
   * body of a layer, not only the wanted ones.
   */
  lastFilePath: string | undefined;

  constructor(private readonly wants: (path: string) => boolean) {}

  private readonly readlink = (p: string): string | undefined => {
    const node = this.nodes.get(p);
    return node?.kind === 'symlink' ? node.linkTarget : undefined;
  };

  /** Resolves a path inside the root with chroot semantics. */
  resolve(path: string, followFinal: boolean): string | undefined {
    return this.symlinkCount === 0 ? path : resolveInRoot(path, this.readlink, followFinal);
  }

  /**
   * Applies one tar entry of layer `layer`; returns the canonical path when the entry's body
   * should be kept, undefined otherwise. `where` names the layer for error messages.
   */
  apply(header: LayerEntryHeader, layer: number, where: string): string | undefined {
    this.lastFilePath = undefined;
    const entry = normaliseEntryName(header.name, where);
    if (entry === '') return undefined;
    const dir = this.resolve(parentOf(entry), true) ?? parentOf(entry);
    const name = baseName(entry);
    if (name.startsWith(WHITEOUT_PREFIX)) {
      if (name === OPAQUE_WHITEOUT) this.removeBelow(dir, (node) => node.layer < layer);
      else this.remove(dir === '' ? name.slice(WHITEOUT_PREFIX.length) : `${dir}/${name.slice(WHITEOUT_PREFIX.length)}`);
      return undefined;
    }
    const path = dir === '' ? name : `${dir}/${name}`;
    const existing = this.nodes.get(path);
    const type = header.type ?? 'file';
    const mode = (header.mode ?? 0) & 0o7777;
    if (type === 'directory') {
      // A directory restated by an upper layer keeps its contents (and its layer, which opaque
      // whiteouts compare against) but takes the upper layer's permissions.
      if (existing?.kind === 'dir') existing.mode = mode;
      else {
        if (existing) this.remove(path);
        this.nodes.set(path, { kind: 'dir', layer, size: 0, mode });
      }
      return undefined;
    }
    if (existing) this.remove(path);
    switch (type) {
      case 'file':
      case 'contiguous-file': {
        const size = header.size ?? 0;
        const node: FsNode = entry === path ? { kind: 'file', layer, size, mode } : { kind: 'file', layer, size, mode, source: { layer, entry } };
        this.set(path, node);
        this.lastFilePath = path;
        return this.wanted.has(path) ? path : undefined;
      }
      case 'symlink': {
        const target = header.linkname ?? '';
        if (!target.startsWith('/') && joinWithinRoot(dir, target) === undefined) {
          throw new BadInputError(`${where}: symlink ${entry} -> ${target} escapes the image root`);
        }
        this.symlinkCount++;
        this.set(path, { kind: 'symlink', layer, size: 0, mode, linkTarget: target });
        return undefined;
      }
      case 'link': {
        const raw = header.linkname ?? '';
        const linked = raw.startsWith('/') ? undefined : joinWithinRoot('', raw);
        if (linked === undefined) throw new BadInputError(`${where}: hardlink ${entry} -> ${raw} escapes the image root`);
        const targetPath = this.resolve(linked, false);
        const target = targetPath === undefined ? undefined : this.nodes.get(targetPath);
        if (!target || target.kind !== 'file') {
          throw new BadInputError(`${where}: hardlink ${entry} -> ${raw} points to ${target ? `a ${target.kind}` : 'nothing'}`);
        }
        // A hardlink shares its target's inode, hence its permissions (the header repeats them).
        this.set(path, { kind: 'file', layer, size: target.size, mode: target.mode, linkTarget: targetPath, source: sourceOf(targetPath ?? '', target), content: target.content });
        return undefined;
      }
      default:
        this.set(path, { kind: 'other', layer, size: 0, mode });
        return undefined;
    }
  }

  /** Keeps the body of a wanted file (and of hardlinks made to it later). */
  keep(path: string, content: Buffer): void {
    const node = this.nodes.get(path);
    if (!node) return;
    if (node.linkTarget === undefined) this.keptBytes += content.length - (node.content?.length ?? 0);
    node.content = content;
  }

  private set(path: string, node: FsNode): void {
    this.nodes.set(path, node);
    if (this.wants(path)) {
      this.wanted.add(path);
      this.wantedChanged = true;
    }
  }

  private remove(path: string): void {
    const node = this.nodes.get(path);
    if (node) this.forget(path, node);
    if (node === undefined || node.kind === 'dir') this.removeBelow(path, () => true);
  }

  private forget(path: string, node: FsNode): void {
    this.nodes.delete(path);
    if (node.content && node.linkTarget === undefined) this.keptBytes -= node.content.length;
    if (node.kind === 'symlink') this.symlinkCount--;
    if (this.wanted.delete(path)) this.wantedChanged = true;
  }

  /** Deletes everything under directory `dir` that matches (a linear scan: whiteouts of directories are rare). */
  private removeBelow(dir: string, match: (node: FsNode) => boolean): void {
    const prefix = dir === '' ? '' : `${dir}/`;
    for (const [path, node] of this.nodes) {
      if (path.startsWith(prefix) && path !== dir && match(node)) this.forget(path, node);
    }
  }
}

/**
 * Normalises a tar entry name (`./etc/x`, `etc//x/`) to a root-relative path and refuses names
 * that are absolute or climb out of the root with `..`.
 */
export function normaliseEntryName(raw: string, where: string): string {
  if (raw.startsWith('/')) throw new BadInputError(`${where}: entry ${JSON.stringify(raw)} has an absolute path`);
  const normal = joinWithinRoot('', raw);
  if (normal === undefined) throw new BadInputError(`${where}: entry ${JSON.stringify(raw)} escapes the image root with ../`);
  return normal;
}
