import type { HostArtifacts } from '@bulkhead/plugin-sdk/api';
import type { ImageInventory, InventoryLookup } from '../../drift';

/** Loads an image's executables by digest; null when there is no inventory for it. */
export type ExecutablesLoader = (digest: string) => Promise<ReadonlySet<string> | null>;

export interface ImageInventoryCacheOptions {
  /** Images kept (least recently used evicted first). Default 256. */
  maxImages?: number;
  /** Executable paths kept over all images (bounds memory). Default 2,000,000. */
  maxPaths?: number;
  /** How long a known inventory is trusted before it is reloaded (a rescan may change it). Default 15 min. */
  knownTtlMs?: number;
  /** How long "no inventory" is remembered, so an unscanned image costs one query per period. Default 30 s. */
  unknownTtlMs?: number;
  /** Clock, for tests. */
  now?: () => number;
  /**
   * The team of the request being served (HOST_REQUEST_CONTEXT.requestTeam). Inventories are
   * cached per team: one team's scan never decides drift in another team's events. Default: one team.
   */
  team?: () => string;
}

class SetInventory implements ImageInventory {
  constructor(readonly paths: ReadonlySet<string>) {}
  hasExecutable(path: string): boolean {
    return this.paths.has(path);
  }
}

interface Entry {
  inventory: SetInventory | undefined;
  expiresAt: number;
}

/**
 * Image inventories by digest for drift detection on every exec event: a bounded LRU over
 * `HostArtifacts.executables` (the core's typed query) or any loader, with concurrent misses
 * for one digest sharing one load. A failed load is not cached. Usage per event (or per batch of events):
 *
 *   const lookup = await inventories.lookupFor(event['container.image.digest']);
 *   const verdict = detectDrift(event, lookup);
 */
export class ImageInventoryCache {
  private readonly entries = new Map<string, Entry>();
  private readonly loading = new Map<string, Promise<SetInventory | undefined>>();
  private readonly load: ExecutablesLoader;
  private readonly maxImages: number;
  private readonly maxPaths: number;
  private readonly knownTtlMs: number;
  private readonly unknownTtlMs: number;
  private readonly now: () => number;
  private readonly team: () => string;
  private paths = 0;

  constructor(source: Pick<HostArtifacts, 'executables'> | ExecutablesLoader, options: ImageInventoryCacheOptions = {}) {
    this.load = typeof source === 'function' ? source : (digest) => source.executables(digest);
    this.maxImages = positive(options.maxImages ?? 256, 'maxImages');
    this.maxPaths = positive(options.maxPaths ?? 2_000_000, 'maxPaths');
    this.knownTtlMs = options.knownTtlMs ?? 15 * 60_000;
    this.unknownTtlMs = options.unknownTtlMs ?? 30_000;
    this.now = options.now ?? Date.now;
    this.team = options.team ?? (() => '');
  }

  /** Cache key of an image in the current team. */
  private keyOf(digest: string): string {
    return `${this.team()}\u0000${digest}`;
  }

  /** Images currently cached (known and unknown). */
  get size(): number {
    return this.entries.size;
  }

  /** The inventory of one image, loading it on a miss; undefined when there is none. */
  async get(digest: string): Promise<ImageInventory | undefined> {
    const key = this.keyOf(digest);
    const cached = this.entries.get(key);
    if (cached && cached.expiresAt > this.now()) {
      // Map order is recency order: move the hit to the end.
      this.entries.delete(key);
      this.entries.set(key, cached);
      return cached.inventory;
    }
    const pending = this.loading.get(key);
    if (pending) return pending;
    const loaded = this.fetch(key, digest).finally(() => this.loading.delete(key));
    this.loading.set(key, loaded);
    return loaded;
  }

  /**
   * Loads the given digests (event field values: anything but a non-empty string is ignored)
   * and returns a synchronous lookup over them, as `detectDrift` wants.
   * The lookup answers from what was loaded here, so an eviction in between cannot change it.
   */
  async lookupFor(...digests: readonly unknown[]): Promise<InventoryLookup> {
    const wanted = [...new Set(digests.filter((d): d is string => typeof d === 'string' && d !== ''))];
    const loaded = new Map(await Promise.all(wanted.map(async (d) => [d, await this.get(d)] as const)));
    return (digest) => loaded.get(digest);
  }

  /** Forgets one image of the current team (call after it is rescanned) so the next lookup reloads it. */
  invalidate(digest: string): void {
    this.drop(this.keyOf(digest));
  }

  /** Loads within the caller's request, so the loader reads the caller's team. */
  private async fetch(key: string, digest: string): Promise<SetInventory | undefined> {
    const paths = await this.load(digest);
    const inventory = paths ? new SetInventory(paths) : undefined;
    this.drop(key);
    this.entries.set(key, { inventory, expiresAt: this.now() + (inventory ? this.knownTtlMs : this.unknownTtlMs) });
    this.paths += inventory?.paths.size ?? 0;
    this.evict(key);
    return inventory;
  }

  private drop(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    this.paths -= entry.inventory?.paths.size ?? 0;
  }

  /** Evicts least recently used images until within bounds; the one just loaded always stays. */
  private evict(keep: string): void {
    for (const key of this.entries.keys()) {
      if (this.entries.size <= this.maxImages && this.paths <= this.maxPaths) return;
      if (key !== keep) this.drop(key);
    }
  }
}

function positive(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1) throw new Error(`ImageInventoryCache: ${name} must be a positive integer, got ${value}`);
  return value;
}
