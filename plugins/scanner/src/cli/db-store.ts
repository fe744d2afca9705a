import { CliError } from '@bulkhead/plugin-sdk/cli';
import { AdvisoryDatabaseError, createEmbeddedAdvisoryStore, openEmbeddedAdvisoryStore, resolveCacheDir, type SqliteAdvisoryStore } from '@bulkhead/vulndb';

/** `--cache-dir` of every db command (and scan): the option, BULKHEAD_CACHE_DIR, or the per-user cache. */
export interface CacheDirOption {
  cacheDir?: string;
}

/** Runs `work` on the cache directory's embedded store, closing it after; store problems become CliErrors. */
export async function withEmbeddedStore<T>(options: CacheDirOption, mode: 'read' | 'write', work: (store: SqliteAdvisoryStore) => Promise<T>): Promise<T> {
  const cacheDir = resolveCacheDir(options.cacheDir);
  let store: SqliteAdvisoryStore;
  try {
    store = mode === 'write' ? createEmbeddedAdvisoryStore(cacheDir) : openEmbeddedAdvisoryStore(cacheDir, { allowEmpty: true });
  } catch (error) {
    throw asCliError(error);
  }
  try {
    return await work(store);
  } catch (error) {
    throw asCliError(error);
  } finally {
    await store.close();
  }
}

function asCliError(error: unknown): unknown {
  return error instanceof AdvisoryDatabaseError ? new CliError(error.message) : error;
}
