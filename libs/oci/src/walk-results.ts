/** What a file-system walk yields: wanted files, per-layer snapshots, final entries (walk.ts, rootfs.ts). */

/** One wanted file of the final file system. Shaped like the SDK's AnalyzerFile. */
export interface ImageFile {
  /** Root-relative path: `var/lib/dpkg/status`. */
  path: string;
  content: Buffer;
  /** Digest of the layer the file's content came from; undefined for a root file system. */
  layer?: string;
}

/** The wanted files as they stood after one layer (only layers that changed a wanted file). */
export interface LayerSnapshot {
  layerIndex: number;
  layer: string;
  files: ImageFile[];
}

export interface FilesystemWalk {
  /** Wanted files of the final file system, sorted by path; symlinks resolved (chroot semantics). */
  files: ImageFile[];
  /**
   * For images: the wanted files after each layer that changed one of them, bottom to top (the
   * last equals `files`, minus files only reachable through a second pass). Lets a caller tell
   * which layer introduced what, e.g. a package version. Empty for a root file system, and when
   * `onSnapshot` is given (the snapshots went there instead).
   */
  history: LayerSnapshot[];
  /** Things skipped without failing (oversized or unreadable wanted files). */
  warnings: string[];
}

/**
 * One entry of the final file system (after every layer's whiteouts), metadata only. Paths are
 * root-relative like ImageFile paths; parents are canonical (an entry written through a
 * symlinked directory is reported where it landed).
 */
export interface FinalEntry {
  path: string;
  /** `hardlink` only for images (a tar link entry); a root file system reports its files as `file`. */
  type: 'file' | 'dir' | 'symlink' | 'hardlink' | 'other';
  /** Permission bits with setuid (0o4000), setgid (0o2000) and sticky (0o1000). */
  mode: number;
  /** Bytes of regular files and hardlinks; 0 otherwise. */
  size: number;
  /** Symlinks: the target as written (`../usr/lib/os-release`, `/bin/dash`). Hardlinks: the root-relative path linked to. */
  linkTarget?: string;
  /** Images: index of the layer that last wrote this path (undefined for a root file system). */
  layerIndex?: number;
}

/**
 * Sees the body of every regular file of every layer as the layer streams (for a root file
 * system: every regular file as the walk finds it), including files a later layer deletes or
 * replaces: what was in a lower layer is still in the image. `wants` decides per file from its
 * path and size before the body is read; only then is the body held, and only during `file`.
 */
export interface LayerFileHook {
  wants(path: string, size: number): boolean;
  /**
   * Optional, images only: sees the first bytes of a wanted body as they arrive (at least one
   * byte, often a few KB); false drops the body before it is collected (e.g. a binary). Not
   * asked for a body an analyzer also wants: `file` then gets it whole.
   */
  accepts?(head: Buffer): boolean;
  /** `layerIndex` is the layer's position, bottom first (0 for a root file system). */
  file(layerIndex: number, path: string, content: Buffer): void;
}
