import path from 'node:path';
import type { Assessment, DockleCode } from './checkpoints';

/** One entry of an image's final file system, as the file-system checks need it. */
export interface ImageFsEntry {
  /** Root-relative path without a leading slash: `etc/shadow`. */
  path: string;
  /** Permission bits including setuid (0o4000) and setgid (0o2000). */
  mode: number;
  type: 'file' | 'dir' | 'symlink' | 'other';
}

/**
 * The small view of an image file system these checks work on: every entry's path and mode,
 * and the content of a few files on demand (passwd, shadow, group). Adapters exist for images
 * opened with @bulkhead/oci (`image-fs-adapter.ts`) and tests build it in memory.
 */
export interface ImageFilesystemView {
  entries: readonly ImageFsEntry[];
  /** Contents of the given paths that exist as regular files (others are absent from the map). */
  read(paths: readonly string[]): Promise<Map<string, Buffer>>;
}

export interface ImageFilesystemOptions {
  /** Extra credential file names / extensions (Dockle's --sensitive-file / --sensitive-file-extension). */
  sensitiveFiles?: readonly string[];
  sensitiveExtensions?: readonly string[];
}

export const IMAGE_FILESYSTEM_CODES: readonly DockleCode[] = ['CIS-DI-0008', 'CIS-DI-0010', 'DKL-LI-0001', 'DKL-LI-0002', 'DKL-LI-0003'];

// Dockle's credential assessor lists.
const CREDENTIAL_FILES = [
  'credentials.json',
  'credential.json',
  'credentials',
  'credential',
  'password.txt',
  'id_rsa',
  'id_dsa',
  'id_ecdsa',
  'id_ed25519',
  'secret_token.rb',
  'carrierwave.rb',
  'omniauth.rb',
  'settings.py',
  'database.yml',
  'credentials.xml',
  '.env',
];
// Leftover client credentials Dockle does not list but that are as sensitive as the above.
const EXTRA_CREDENTIAL_FILES = ['.npmrc', '.git-credentials', '.pypirc', '.netrc', '.pgpass', '.dockercfg'];
const CREDENTIAL_EXTENSIONS = [
  '.secret',
  '.ovpn',
  '.private_key',
  '.cscfg',
  '.rdp',
  '.mdf',
  '.sdf',
  '.bek',
  '.tpm',
  '.fve',
  '.jks',
  '.psafe3',
  '.agilekeychain',
  '.keychain',
  '.pcap',
  '.gnucache',
];
// Dockle's cache assessor lists (DKL-LI-0003).
const DELETABLE_FILES = ['Dockerfile', 'docker-compose.yml', '.vimrc', '.DS_Store'];
const DELETABLE_DIRS = ['.cache/', '.aws/', '.azure/', '.gcp/', '.git/', '.vscode/', '.idea/', '.npm/'];
const DEPENDENCY_DIRS = ['node_modules/', 'vendor/'];

const SHADOW_FILES = ['etc/shadow', 'etc/master.passwd'];

/** The files whose contents assessImageFilesystem reads (an adapter may fetch them up front). */
export const IMAGE_FILESYSTEM_READS: readonly string[] = [...SHADOW_FILES, 'etc/passwd', 'etc/group'];

/** Dockle's file assessors: setuid/setgid, credential files, empty passwords, duplicate ids, leftovers. */
export async function assessImageFilesystem(fs: ImageFilesystemView, options: ImageFilesystemOptions = {}): Promise<Assessment[]> {
  const out: Assessment[] = [];
  const credentialNames = new Set([...CREDENTIAL_FILES, ...EXTRA_CREDENTIAL_FILES, ...(options.sensitiveFiles ?? [])]);
  const credentialExts = new Set([...CREDENTIAL_EXTENSIONS, ...(options.sensitiveExtensions ?? [])]);
  const files = [...fs.entries].filter((e) => e.type === 'file').sort((a, b) => a.path.localeCompare(b.path));
  const reportedDirs = new Set<string>();

  for (const entry of files) {
    const mode = modeString(entry.mode);
    if (entry.mode & 0o4000) out.push({ code: 'CIS-DI-0008', filename: entry.path, desc: `setuid file: ${mode} ${entry.path}` });
    if (entry.mode & 0o2000) out.push({ code: 'CIS-DI-0008', filename: entry.path, desc: `setgid file: ${mode} ${entry.path}` });

    const base = path.posix.basename(entry.path);
    const ext = path.posix.extname(base);
    if (credentialNames.has(base)) {
      out.push({ code: 'CIS-DI-0010', filename: entry.path, desc: `Suspicious filename found : ${entry.path} (You can suppress it with "-af ${base}")` });
    } else if (ext && credentialExts.has(ext)) {
      out.push({ code: 'CIS-DI-0010', filename: entry.path, desc: `Suspicious file extension found : ${entry.path} (You can suppress it with "-ae ${ext.slice(1)}")` });
    }

    const dir = path.posix.dirname(entry.path);
    const dirBase = path.posix.basename(dir);
    if ((DELETABLE_DIRS.includes(`${dirBase}/`) || DELETABLE_DIRS.includes(`${dir}/`)) && !reportedDirs.has(dir)) {
      reportedDirs.add(dir);
      if (!DEPENDENCY_DIRS.some((d) => entry.path.includes(d))) out.push({ code: 'DKL-LI-0003', filename: dir, desc: `Suspicious directory : ${dir} ` });
    }
    if (DELETABLE_FILES.includes(base)) out.push({ code: 'DKL-LI-0003', filename: entry.path, desc: `unnecessary file : ${entry.path} ` });
  }

  const contents = await fs.read(IMAGE_FILESYSTEM_READS);
  out.push(...emptyPasswords(contents));
  out.push(...duplicateIds(contents, 'etc/passwd', 'UID'));
  out.push(...duplicateIds(contents, 'etc/group', 'GroupID'));
  return out;
}

function emptyPasswords(contents: Map<string, Buffer>): Assessment[] {
  const present = SHADOW_FILES.filter((f) => contents.has(f));
  if (present.length === 0) return [{ code: 'DKL-LI-0001', level: 'SKIP', filename: '', desc: `failed to detect ${SHADOW_FILES.join(',')}` }];
  const out: Assessment[] = [];
  for (const file of present) {
    for (const line of (contents.get(file) ?? Buffer.alloc(0)).toString('utf8').split('\n')) {
      if (line === '' || line.startsWith('#')) continue;
      const fields = line.split(':');
      if (fields.length >= 2 && fields[1] === '') out.push({ code: 'DKL-LI-0001', filename: file, desc: `No password user found! username : ${fields[0]}` });
    }
  }
  return out;
}

function duplicateIds(contents: Map<string, Buffer>, file: string, label: 'UID' | 'GroupID'): Assessment[] {
  const body = contents.get(file);
  if (!body) return [{ code: 'DKL-LI-0002', level: 'SKIP', filename: '', desc: `failed to detect ${file}` }];
  const out: Assessment[] = [];
  const seen = new Set<string>();
  for (const line of body.toString('utf8').split('\n')) {
    const fields = line.split(':');
    if (fields.length < 3) continue; // blank or malformed line (Dockle would index out of range)
    const [name, , id] = fields as [string, string, string];
    if (seen.has(id)) out.push({ code: 'DKL-LI-0002', filename: file, desc: `duplicate ${label} ${id} : username ${name}` });
    seen.add(id);
  }
  return out;
}

/** Go's os.FileMode String() for regular files: `urwxr-xr-x`-style with u/g for setuid/setgid. */
export function modeString(mode: number): string {
  let prefix = '';
  if (mode & 0o4000) prefix += 'u';
  if (mode & 0o2000) prefix += 'g';
  if (mode & 0o1000) prefix += 't';
  const rwx = 'rwxrwxrwx';
  let perms = '';
  for (let i = 0; i < 9; i++) perms += mode & (1 << (8 - i)) ? rwx[i] : '-';
  return (prefix || '-') + perms;
}
