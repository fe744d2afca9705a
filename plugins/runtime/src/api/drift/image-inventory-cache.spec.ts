import { ImageInventoryCache, type ExecutablesLoader } from './image-inventory-cache';

function countingLoader(images: Record<string, string[] | null>): { load: ExecutablesLoader; calls: string[] } {
  const calls: string[] = [];
  const load: ExecutablesLoader = async (digest) => {
    calls.push(digest);
    const paths = images[digest];
    return paths ? new Set(paths) : null;
  };
  return { load, calls };
}

describe('ImageInventoryCache', () => {
  it('answers hasExecutable from the loaded set and loads each image once', async () => {
    const { load, calls } = countingLoader({ 'sha256:a': ['/usr/bin/dash', '/bin/sh'] });
    const cache = new ImageInventoryCache(load);
    const [first, second] = await Promise.all([cache.get('sha256:a'), cache.get('sha256:a')]);
    expect(first?.hasExecutable('/bin/sh')).toBe(true);
    expect(first?.hasExecutable('/tmp/xmrig')).toBe(false);
    expect(second).toBe(first);
    await cache.get('sha256:a');
    expect(calls).toEqual(['sha256:a']);
  });

  it('keeps each team’s inventories apart: one team’s scan never answers for another', async () => {
    let team = 'red';
    // The loader stands for HostArtifacts.executables: it answers from the current team's images only.
    const byTeam: Record<string, Record<string, string[]>> = { red: { 'sha256:a': ['/bin/sh'] }, blue: {} };
    const calls: string[] = [];
    const cache = new ImageInventoryCache(
      async (digest) => {
        calls.push(`${team}:${digest}`);
        const paths = byTeam[team]?.[digest];
        return paths ? new Set(paths) : null;
      },
      { team: () => team },
    );
    expect((await cache.get('sha256:a'))?.hasExecutable('/bin/sh')).toBe(true);
    team = 'blue';
    expect(await cache.get('sha256:a')).toBeUndefined(); // not red's cached inventory
    team = 'red';
    expect((await cache.get('sha256:a'))?.hasExecutable('/bin/sh')).toBe(true);
    expect(calls).toEqual(['red:sha256:a', 'blue:sha256:a']);
  });

  it('gives detectDrift a synchronous lookup over the digests of a batch', async () => {
    const { load } = countingLoader({ 'sha256:a': ['/bin/sh'], 'sha256:b': [] });
    const lookup = await new ImageInventoryCache(load).lookupFor('sha256:a', 'sha256:b', undefined, 42, 'sha256:unknown');
    expect(lookup('sha256:a')?.hasExecutable('/bin/sh')).toBe(true);
    expect(lookup('sha256:b')?.hasExecutable('/bin/sh')).toBe(false);
    expect(lookup('sha256:unknown')).toBeUndefined();
    expect(lookup('sha256:never-asked')).toBeUndefined();
  });

  it('evicts the least recently used image past maxImages or maxPaths', async () => {
    const { load, calls } = countingLoader({ a: ['/1'], b: ['/1', '/2'], c: ['/1', '/2', '/3'] });
    const cache = new ImageInventoryCache(load, { maxImages: 2, maxPaths: 4 });
    await cache.get('a');
    await cache.get('b');
    await cache.get('a'); // a is now the most recent
    await cache.get('c'); // 3 images, 6 paths: b (least recent) goes, leaving a + c = 4 paths
    expect(cache.size).toBe(2);
    await cache.get('c');
    await cache.get('a'); // both still cached; order now c, a
    await cache.get('b'); // 3 images: c goes
    await cache.get('a');
    await cache.get('c');
    expect(calls).toEqual(['a', 'b', 'c', 'b', 'c']);
  });

  it('remembers an unknown image for a short while and a known one until its TTL or invalidate', async () => {
    let now = 0;
    const images: Record<string, string[] | null> = { x: null, y: ['/bin/sh'] };
    const { load, calls } = countingLoader(images);
    const cache = new ImageInventoryCache(load, { unknownTtlMs: 1000, knownTtlMs: 60_000, now: () => now });
    expect(await cache.get('x')).toBeUndefined();
    await cache.get('y');
    now = 500;
    await cache.get('x');
    images['x'] = ['/app'];
    now = 1500;
    expect((await cache.get('x'))?.hasExecutable('/app')).toBe(true);
    await cache.get('y');
    cache.invalidate('y');
    await cache.get('y');
    expect(calls).toEqual(['x', 'y', 'x', 'y']);
  });

  it('does not cache a failed load', async () => {
    let fail = true;
    const cache = new ImageInventoryCache(async () => {
      if (fail) throw new Error('database down');
      return new Set(['/bin/sh']);
    });
    await expect(cache.get('z')).rejects.toThrow('database down');
    fail = false;
    expect((await cache.get('z'))?.hasExecutable('/bin/sh')).toBe(true);
  });

  it('refuses nonsense bounds', () => {
    expect(() => new ImageInventoryCache(async () => null, { maxImages: 0 })).toThrow('maxImages must be a positive integer, got 0');
  });
});
