import { lstat, mkdir } from 'node:fs/promises';

/**
 * Creates the upload folder (and a team's sub-folder) mode 0700, or checks the one that exists:
 * a real folder (not a symbolic link), owned by this user, that no one else may enter. The
 * default sits in the shared temp folder under a predictable name, so another local user could
 * have made it first to read or swap what is uploaded; such a folder is refused, naming it.
 */
export async function ensurePrivateFolder(folder: string, setting = 'BULKHEAD_UPLOAD_DIR'): Promise<void> {
  await mkdir(folder, { recursive: true, mode: 0o700 });
  const stat = await lstat(folder);
  const uid = process.getuid?.();
  if (!stat.isDirectory()) throw new Error(`${setting}: ${folder} is not a folder (a symbolic link or a file is refused)`);
  if (uid !== undefined && stat.uid !== uid) throw new Error(`${setting}: ${folder} belongs to another user (uid ${stat.uid}); uploads need a folder of their own`);
  if ((stat.mode & 0o077) !== 0) throw new Error(`${setting}: ${folder} may be entered by other users (mode ${(stat.mode & 0o777).toString(8)}); make it 0700`);
}
