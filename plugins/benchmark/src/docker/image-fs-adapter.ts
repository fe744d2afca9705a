import { walkFinalFilesystem, type FinalEntry, type OpenedArtifact } from '@bulkhead/oci';
import { IMAGE_FILESYSTEM_READS, type ImageFilesystemView, type ImageFsEntry } from './image-filesystem';

/**
 * The file-system view of an image or root file system opened with @bulkhead/oci. One walk of
 * the final file system (whiteouts applied by @bulkhead/oci) gives every entry's mode and the
 * contents of the few files the checks read; other contents are fetched on demand by another
 * walk, which resolves symlinks like a chroot.
 */
export async function imageFilesystemView(artifact: OpenedArtifact, signal?: AbortSignal): Promise<ImageFilesystemView> {
  const entries: ImageFsEntry[] = [];
  const prefetched = new Set(IMAGE_FILESYSTEM_READS);
  const walk = await walkFinalFilesystem(artifact, (p) => prefetched.has(p), {
    ...(signal ? { signal } : {}),
    onFinalEntry: (entry) => entries.push({ path: entry.path, mode: entry.mode, type: viewType(entry.type) }),
  });
  const contents = new Map(walk.files.map((f) => [f.path, f.content]));
  return {
    entries,
    read: async (paths) => {
      if (paths.every((p) => prefetched.has(p))) return new Map([...contents].filter(([p]) => paths.includes(p)));
      const wanted = new Set(paths);
      const again = await walkFinalFilesystem(artifact, (p) => wanted.has(p), signal ? { signal } : {});
      return new Map(again.files.map((f) => [f.path, f.content]));
    },
  };
}

/** A hardlink is a regular file for these checks (it shares the file's inode and mode). */
function viewType(type: FinalEntry['type']): ImageFsEntry['type'] {
  return type === 'hardlink' ? 'file' : type;
}
