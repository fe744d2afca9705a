import path from 'node:path';
import { embeddedStorePath, resolveCacheDir } from './cache-dir';

describe('resolveCacheDir', () => {
  const env = { HOME: '/home/u', XDG_CACHE_HOME: '/xdg', BULKHEAD_CACHE_DIR: '/env-cache' };
  it('takes --cache-dir first, then BULKHEAD_CACHE_DIR, then XDG_CACHE_HOME/bulkhead, then ~/.cache/bulkhead', () => {
    expect(resolveCacheDir('/opt/c', env)).toBe('/opt/c');
    expect(resolveCacheDir('rel', env)).toBe(path.resolve('rel'));
    expect(resolveCacheDir(undefined, env)).toBe('/env-cache');
    expect(resolveCacheDir(undefined, { ...env, BULKHEAD_CACHE_DIR: '' })).toBe('/xdg/bulkhead');
    expect(resolveCacheDir(undefined, { HOME: '/home/u' })).toBe('/home/u/.cache/bulkhead');
    // The XDG spec ignores a relative XDG_CACHE_HOME.
    expect(resolveCacheDir(undefined, { HOME: '/home/u', XDG_CACHE_HOME: 'cache' })).toBe('/home/u/.cache/bulkhead');
  });

  it('keeps the database at <cache>/vulndb/advisories.sqlite', () => {
    expect(embeddedStorePath('/c')).toBe('/c/vulndb/advisories.sqlite');
  });
});
