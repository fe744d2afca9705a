/**
 * Which files the binary analyzers (Go build info, cargo-auditable) ask the scanner for.
 *
 * The trade-off: `wants(path)` sees only a path (no mode, no bytes), and every wanted file's body
 * is held in memory until the analyzers run, so "every executable" is not an option (an image's
 * /usr/lib alone holds hundreds of MB of shared objects). Trivy decides by the executable bit
 * and then reads every executable; we decide by where programs are installed:
 *
 * - direct children of the bin directories: `bin/`, `sbin/`, `usr/bin/`, `usr/sbin/`,
 *   `usr/local/bin/`, `usr/local/sbin/`, and Go's install directories `go/bin/`,
 *   `root/go/bin/`, `home/<user>/go/bin/`, and `opt/<app>/bin/`, `opt/<app>/` (vendor
 *   installs: `/opt/bitnami/<app>/bin/<tool>` is `opt/bitnami/<app>/bin/` and covered by the
 *   `opt/.../bin/` rule at any depth);
 * - files directly under the usual application directories of distroless/scratch images:
 *   the image root (`/manager`, `/coredns`, `/app` as a file), `app/`, `ko-app/`, `srv/`;
 * - never names with a dot-suffix that no executable carries (`.so`, `.txt`, `.json`, `.py`,
 *   …): only names without a dot or with a version-like / `.exe` suffix pass.
 *
 * Missed by design: programs in other directories (`usr/libexec/…`, `usr/lib/go/…` and test
 * fixtures), which are mostly installed by the OS package manager and covered by its advisories
 * anyway (Trivy also skips files the OS package database owns). The analyzers check the magic
 * (ELF, Mach-O, PE) before parsing, and read only section headers and the build info window.
 * The size cap (`MAX_BINARY_SIZE`) keeps one huge binary from dominating memory; the walk checks
 * it before holding a body, and its own `maxWantedFileBytes` (64 MiB by default) caps it, and
 * `maxWantedTotalBytes` (1 GiB) bounds what all the wanted bodies held together may take (an
 * image of hundreds of large programs).
 */
import type { Analyzer, AnalyzerFile, PackageResult } from '@bulkhead/plugin-sdk';
import { skipUnreadable } from './skip-unreadable';
export const MAX_BINARY_SIZE = 256 * 1024 * 1024;

const BIN_DIRS = new Set(['bin', 'sbin', 'usr/bin', 'usr/sbin', 'usr/local/bin', 'usr/local/sbin', 'go/bin', 'root/go/bin', 'app', 'ko-app', 'srv', 'app/bin']);

/** Extensions that never name an executable program. */
const NOT_PROGRAM = /\.(?:so(?:\.\d+)*|a|o|la|txt|md|json|ya?ml|toml|xml|html?|css|js|mjs|cjs|ts|map|py|pyc|rb|pl|pm|php|sh|bash|lua|jar|war|class|conf|cfg|ini|properties|gz|xz|bz2|zst|zip|tar|tgz|png|jpe?g|gif|svg|ico|pem|crt|key|log|lock|mod|sum|go|rs|c|h|cc|cpp|hpp|1|8)$/i;

/** Called for every path of an image: the directory test (a Set lookup) rules out most paths before any pattern runs. */
export function isExecutableCandidate(path: string): boolean {
  const slash = path.lastIndexOf('/');
  if (slash >= 0 && !isProgramDirectory(path.slice(0, slash))) return false;
  const name = path.slice(slash + 1);
  return name !== '' && !name.startsWith('.') && !NOT_PROGRAM.test(name);
}

function isProgramDirectory(dir: string): boolean {
  if (BIN_DIRS.has(dir)) return true;
  if (dir.startsWith('home/')) return dir.endsWith('/go/bin') && dir.split('/').length === 4;
  return dir.startsWith('opt/') && (dir.endsWith('/bin') || dir.indexOf('/', 4) < 0);
}

const DPKG_INFO = 'var/lib/dpkg/info/';
const APK_INSTALLED = 'lib/apk/db/installed';

/**
 * The OS package databases' file lists (dpkg `var/lib/dpkg/info/*.list`, apk's installed
 * database), which the binary analyzers also ask for: like Trivy, they skip programs an OS
 * package installed. Those are the distribution's builds, covered by its own advisories, and a
 * Go or Rust inventory of them would report the toolchain's standard library a second time.
 * (rpm keeps its file lists inside the rpm database, which these analyzers do not read: an
 * rpm-installed Go program is inventoried.)
 */
export function isOsPackageFileList(path: string): boolean {
  return path === APK_INSTALLED || (path.startsWith(DPKG_INFO) && path.endsWith('.list') && path.indexOf('/', DPKG_INFO.length) < 0);
}

/** Merged-/usr systems list `/bin/x` for what is stored at `usr/bin/x` (and the reverse). */
function addWithUsrAlias(owned: Set<string>, path: string): void {
  owned.add(path);
  if (/^(?:s?bin|lib(?:32|64|x32)?)\//.test(path)) owned.add(`usr/${path}`);
  else if (/^usr\/(?:s?bin|lib(?:32|64|x32)?)\//.test(path)) owned.add(path.slice(4));
}

/** Root-relative paths of the files OS packages installed, from the file lists among `files`. */
export function osPackageFiles(files: readonly { path: string; content: Buffer }[]): Set<string> {
  const owned = new Set<string>();
  for (const file of files) {
    if (!isOsPackageFileList(file.path)) continue;
    const lines = file.content.toString('utf8').split('\n');
    if (file.path === APK_INSTALLED) {
      let dir = '';
      for (const line of lines) {
        if (line.startsWith('F:')) dir = line.slice(2).trim();
        else if (line.startsWith('R:')) addWithUsrAlias(owned, dir ? `${dir}/${line.slice(2).trim()}` : line.slice(2).trim());
      }
    } else {
      for (const line of lines) {
        const path = line.trim();
        if (path.startsWith('/') && path.length > 1) addWithUsrAlias(owned, path.slice(1));
      }
    }
  }
  return owned;
}

/**
 * An analyzer of programs (Go build info, cargo-auditable sections): wants the executable
 * candidates and the OS package file lists, skips programs an OS package installed, and reads
 * bytes reached through two paths (a symlink and its target) once, under the first path. A file
 * `packagesOf` cannot read is skipped (skipUnreadable), never fatal to the scan.
 */
export function programAnalyzer(id: string, version: string, packagesOf: (file: AnalyzerFile) => PackageResult[]): Analyzer {
  return {
    id,
    version,
    stage: 'packages',
    maxFileSize: MAX_BINARY_SIZE,
    wants: (path) => isExecutableCandidate(path) || isOsPackageFileList(path),
    analyze(files) {
      const packages: PackageResult[] = [];
      const seen = new Set<Buffer>();
      const owned = osPackageFiles(files);
      for (const file of files) {
        if (seen.has(file.content) || owned.has(file.path) || isOsPackageFileList(file.path)) continue;
        seen.add(file.content);
        try {
          skipUnreadable(() => packages.push(...packagesOf(file)));
        } catch (error) {
          // A bug, not a bad file: still fail the analyzer, but say which file set it off.
          throw new Error(`${file.path}: ${(error as Error).message}`, { cause: error });
        }
      }
      return { packages };
    },
  };
}
