import { readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * File system types that hold no installed software (kernel views, memory-backed scratch) or
 * live on another machine (network and FUSE shares): walking them is slow, pointless or both.
 * Disk file systems (ext4, xfs, btrfs, overlay, zfs ...) are walked even when mounted
 * separately, so a host with its own /var or /usr partition is still scanned correctly.
 */
const SKIPPED_TYPES = new Set([
  'proc', 'sysfs', 'devtmpfs', 'devpts', 'tmpfs', 'ramfs', 'cgroup', 'cgroup2', 'mqueue', 'debugfs', 'tracefs', 'securityfs',
  'pstore', 'bpf', 'fusectl', 'configfs', 'autofs', 'binfmt_misc', 'hugetlbfs', 'rpc_pipefs', 'nsfs', 'efivarfs', 'selinuxfs',
  'nfs', 'nfs4', 'cifs', 'smb3', 'smbfs', '9p', 'ceph', 'glusterfs', 'afs', 'sshfs',
]);

function skippedType(type: string): boolean {
  return SKIPPED_TYPES.has(type) || (type.startsWith('fuse.') && type !== 'fuse.fuse-overlayfs');
}

/** mountinfo escapes space, tab, newline and backslash as octal (`\040`). */
function unescapeMountPath(value: string): string {
  return value.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

/**
 * Root-relative paths of mount points strictly inside `root` whose file system should not be
 * walked, read from /proc/self/mountinfo. Undefined where that file is unavailable (not Linux).
 */
export function skippedMountsUnder(root: string, mountinfo = '/proc/self/mountinfo'): Set<string> | undefined {
  let text: string;
  try {
    text = readFileSync(mountinfo, 'utf8');
  } catch {
    return undefined;
  }
  const skipped = new Set<string>();
  const prefix = root.endsWith('/') ? root : `${root}/`;
  for (const line of text.split('\n')) {
    const separator = line.indexOf(' - ');
    if (separator < 0) continue;
    const mountPoint = unescapeMountPath(line.slice(0, separator).split(' ')[4] ?? '');
    const type = line.slice(separator + 3).split(' ')[0] ?? '';
    if (mountPoint.startsWith(prefix) && skippedType(type)) skipped.add(path.relative(root, mountPoint));
  }
  return skipped;
}
