/**
 * How long an API replica trusts its copy of a team's admission keys: a key added or removed
 * through any replica is honoured by every other replica within this time (the replica that made
 * the change drops its copy at once). One indexed read per team per period, whatever the rate
 * of admission requests.
 */
export const TRUSTED_KEYS_TTL_MS = 2_000;

interface Entry {
  keys: ReadonlySet<string>;
  /** When the read that produced `keys` started: a change committed after it is seen one TTL later at most. */
  loadedAt: number;
}

/**
 * Per-team key sets with a short time-to-live. Concurrent requests for a stale team share one
 * read; a read that started before `invalidate` is never stored (its answer may predate the
 * change), only handed to the requests that were already waiting for it.
 */
export class TeamKeyCache {
  private readonly fresh = new Map<string, Entry>();
  private readonly pending = new Map<string, { generation: number; promise: Promise<ReadonlySet<string>> }>();
  private generation = 0;

  constructor(
    private readonly load: (team: string) => Promise<readonly string[]>,
    readonly ttlMs: number = TRUSTED_KEYS_TTL_MS,
    private readonly now: () => number = () => Date.now(),
  ) {}

  get(team: string): Promise<ReadonlySet<string>> | ReadonlySet<string> {
    const started = this.now();
    const entry = this.fresh.get(team);
    if (entry && started - entry.loadedAt < this.ttlMs) return entry.keys;
    const running = this.pending.get(team);
    if (running && running.generation === this.generation) return running.promise;
    const generation = this.generation;
    const promise = this.load(team)
      .then((keys) => {
        const set: ReadonlySet<string> = new Set(keys);
        if (generation === this.generation) this.fresh.set(team, { keys: set, loadedAt: started });
        return set;
      })
      .finally(() => {
        if (this.pending.get(team)?.promise === promise) this.pending.delete(team);
      });
    this.pending.set(team, { generation, promise });
    return promise;
  }

  /** After a change made on this replica: the next request reads the table again. */
  invalidate(team: string): void {
    this.generation += 1;
    this.fresh.delete(team);
  }
}
