/*
 * Which files the secret scan reads, as Trivy's secret analyzer decides
 * (pkg/fanal/analyzer/secret/secret.go `Required` and pkg/fanal/utils `IsBinary`): first from
 * the path and size alone, before any byte is read, then from the first 300 bytes.
 */

/** Lock files and module sums: full of hashes that look like secrets, never holding one. */
const SKIP_FILES = new Set(['go.mod', 'go.sum', 'package-lock.json', 'yarn.lock', 'pnpm-lock.yaml', 'Pipfile.lock', 'Gemfile.lock']);
const SKIP_DIRS = new Set(['.git', 'node_modules']);
/** Binary formats by extension (Trivy's list). */
const SKIP_EXTENSIONS = new Set(['.jpg', '.png', '.gif', '.doc', '.pdf', '.bin', '.svg', '.socket', '.deb', '.rpm', '.zip', '.gz', '.gzip', '.tar', '.pyc']);
/** Trivy skips files under 10 bytes: too short to hold any rule's secret. */
export const MIN_SECRET_FILE_BYTES = 10;
/**
 * Files larger than this are not read for secrets (each body is held in memory while scanned).
 * Trivy has no limit; 10 MiB keeps one body's cost bounded while covering configuration,
 * scripts, keys and logs; what is skipped is counted in the scan's warnings.
 */
export const DEFAULT_MAX_SECRET_FILE_BYTES = 10 * 1024 * 1024;

/** The path-and-size part of Trivy's decision (the allow paths are the scanner's). */
export function secretScanWantsPath(path: string, size: number): boolean {
  if (size < MIN_SECRET_FILE_BYTES) return false;
  const slash = path.lastIndexOf('/');
  const name = path.slice(slash + 1);
  if (SKIP_FILES.has(name)) return false;
  if (slash > 0 && path.slice(0, slash).split('/').some((dir) => SKIP_DIRS.has(dir))) return false;
  const dot = name.lastIndexOf('.');
  return dot === -1 || !SKIP_EXTENSIONS.has(name.slice(dot));
}

/**
 * Trivy's IsBinary (after file(1)'s encoding.c): a control byte other than BEL..CR (7-13, less
 * VT) and ESC within the first 300 bytes makes a file binary.
 */
export function looksBinary(content: Buffer): boolean {
  const end = Math.min(content.length, 300);
  for (let i = 0; i < end; i++) {
    const b = content[i] as number;
    if (b < 7 || b === 11 || (b > 13 && b < 27) || (b > 27 && b < 0x20) || b === 0x7f) return true;
  }
  return false;
}
