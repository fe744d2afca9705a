import { appendFileSync } from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';
import type { PrivatePostgres } from '../private-postgres';
import type { CompiledPlatform, PlatformEnv, PlatformProcess } from './processes';
import { spawnWorker, WORKER_READY } from './processes';

/** A worker is killed only after it has taken jobs this long. */
const MIN_SERVICE_MS = 5_000;

/** Deletes every key of the installation's prefix (`<prefix>:*`, SCAN + DEL): FLUSHALL for one installation, nobody else's keys. */
export async function flushPrefix(redisUrl: string, prefix: string): Promise<number> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1, lazyConnect: true });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    let deleted = 0;
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) deleted += await redis.del(...keys);
    } while (cursor !== '0');
    return deleted;
  } finally {
    redis.disconnect();
  }
}

/**
 * The workers of the run: SIGKILLs one every `everyMs` and starts a replacement, as a node or a
 * pod dying would. A replacement that cannot start (Postgres restarting) is tried again.
 */
export class WorkerChaos {
  readonly all: PlatformProcess[] = [];
  readonly live: PlatformProcess[] = [];
  kills = 0;
  failedStarts = 0;
  private stopped = false;
  private loop: Promise<void> | undefined;
  private serial = 0;

  constructor(
    private readonly compiled: CompiledPlatform,
    private readonly platform: PlatformEnv,
    private readonly workerEnv: Record<string, string>,
  ) {}

  /**
   * Spawns a worker and resolves once it is ready. A worker that exits while starting (it refuses
   * to start while Postgres is down, by design) is counted and spawned again, for up to 2 minutes.
   */
  async startOne(): Promise<PlatformProcess> {
    const deadline = Date.now() + 120_000;
    for (;;) {
      const worker = spawnWorker(this.compiled, this.platform, `worker-${++this.serial}`, this.workerEnv);
      this.all.push(worker);
      this.live.push(worker);
      this.note(`spawn ${worker.name} (pid ${worker.pid})`);
      try {
        await worker.waitForLog(WORKER_READY, 60_000);
        this.note(`${worker.name} ready`);
        return worker;
      } catch (error) {
        if (worker.killedOnPurpose) return worker;
        this.failedStarts++;
        this.startFailures.add(worker);
        worker.kill('SIGKILL');
        this.live.splice(this.live.indexOf(worker), 1);
        if (Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
    }
  }

  private readonly startFailures = new Set<PlatformProcess>();

  /** A line in `timeline.log` of the log folder (kills, spawns, faults), for reading a run afterwards. */
  note(what: string): void {
    if (this.compiled.logDir) appendFileSync(path.join(this.compiled.logDir, 'timeline.log'), `${new Date().toISOString()} ${what}\n`);
  }

  /**
   * Starts killing (one worker every `everyMs`, at random among those that have taken jobs for
   * 5 s) until stop(); each victim's
   * replacement is spawned at once, in the background, so kills keep their pace however slowly a
   * worker starts. When no worker qualifies, that kill is skipped (counted).
   */
  start(everyMs: number): void {
    this.loop = (async () => {
      while (!this.stopped) {
        await new Promise((resolve) => setTimeout(resolve, everyMs));
        if (this.stopped) break;
        // Only workers that have taken jobs for MIN_SERVICE_MS (since they logged "serving
        // queue"): on a loaded machine a worker may take longer to load than the kill interval,
        // and killing workers as soon as they start would stop all progress (a 1,000-task run
        // crawled at 1 task/s with every worker killed within seconds of its start).
        const ready = this.live.filter((w) => w.servingSince !== undefined && Date.now() - w.servingSince >= MIN_SERVICE_MS);
        const victim = ready[Math.floor(Math.random() * ready.length)];
        if (!victim) {
          this.sparedKills++;
          continue;
        }
        this.live.splice(this.live.indexOf(victim), 1);
        this.note(`SIGKILL ${victim.name} (pid ${victim.pid})`);
        victim.kill('SIGKILL');
        this.kills++;
        const replacement = this.startOne();
        this.starting.push(replacement);
        replacement.catch(() => undefined);
      }
    })();
  }

  /** Kills due but skipped because no worker had taken jobs for 5 s yet. */
  sparedKills = 0;
  private readonly starting: Promise<PlatformProcess>[] = [];

  /** Stops killing; waits for the replacements being started (a failed one is thrown). */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
    await Promise.all(this.starting);
  }

  /** Workers that exited without being killed by the suite (a crash). */
  crashed(): PlatformProcess[] {
    return this.all.filter((w) => !w.running && !w.killedOnPurpose && !this.startFailures.has(w));
  }

  /** Message counts summed over every worker the run started. */
  messages(): Map<string, number> {
    const sum = new Map<string, number>();
    for (const w of this.all) for (const [msg, n] of w.messages) sum.set(msg, (sum.get(msg) ?? 0) + n);
    return sum;
  }

  async killAll(): Promise<void> {
    this.stopped = true;
    await this.loop?.catch(() => undefined);
    await Promise.allSettled(this.starting);
    for (const w of this.all) w.kill('SIGKILL');
    await Promise.all(this.all.map((w) => w.exited));
  }
}

/** Restarts the private Postgres (crash stop, `downMs` without a server, start); returns when it answers again. */
export async function restartPostgres(postgres: PrivatePostgres, downMs: number): Promise<void> {
  await postgres.restart({ mode: 'immediate', downMs });
}
