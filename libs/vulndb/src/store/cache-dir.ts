import { mkdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';

/** The embedded advisory database inside a cache directory. */
export const EMBEDDED_STORE_FILE = path.join('vulndb', 'advisories.sqlite');

/**
 * The CLI's cache directory: `--cache-dir DIR`, else `BULKHEAD_CACHE_DIR`, else the per-user cache
 * folder (`$XDG_CACHE_HOME/bulkhead`, or `~/.cache/bulkhead` as the XDG base-directory spec says
 * when XDG_CACHE_HOME is unset or not absolute). Always an absolute path.
 */
export function resolveCacheDir(option: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  if (option !== undefined && option !== '') return path.resolve(option);
  const fromEnv = env['BULKHEAD_CACHE_DIR'];
  if (fromEnv) return path.resolve(fromEnv);
  const xdg = env['XDG_CACHE_HOME'];
  // The spec: "If $XDG_CACHE_HOME is either not set or empty" or relative, use ~/.cache.
  const base = xdg && path.isAbsolute(xdg) ? xdg : path.join(env['HOME'] || homedir(), '.cache');
  return path.join(base, 'bulkhead');
}

/** `<cacheDir>/vulndb/advisories.sqlite`. */
export function embeddedStorePath(cacheDir: string): string {
  return path.join(path.resolve(cacheDir), EMBEDDED_STORE_FILE);
}

/**
 * Creates the folder of the database file (and the cache dir) private to the user (0700): the
 * cache may later hold downloaded feeds and scan data. An existing folder is left as it is.
 */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (!statSync(dir).isDirectory()) throw new Error(`${dir} is not a directory`);
}
