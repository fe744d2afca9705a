import { Redis } from 'ioredis';
import type { PrivatePostgres } from '../private-postgres';
import type { CompiledPlatform, PlatformEnv, PlatformProcess } from './processes';
import { startWorker } from './processes';

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

  async startOne(): Promise<PlatformProcess> {
    const deadline = Date.now() + 120_000;
    for (;;) {
      try {
        const worker = await startWorker(this.compiled, this.platform, `worker-${++this.serial}`, this.workerEnv);
        this.all.push(worker);
        this.live.push(worker);
        return worker;
      } catch (error) {
        this.failedStarts++;
        if (Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
    }
  }

  /**
   * Starts killing (one ready worker every `everyMs`, at random) until stop(); each victim's
   * replacement starts at once, in the background, so kills keep their pace however slowly a
   * worker starts. The last ready worker is spared, so the run always makes some progress.
   */
  start(everyMs: number): void {
    this.loop = (async () => {
      while (!this.stopped) {
        await new Promise((resolve) => setTimeout(resolve, everyMs));
        if (this.stopped) break;
        if (this.live.length < 2) {
          this.sparedKills++;
          continue;
        }
        const victim = this.live.splice(Math.floor(Math.random() * this.live.length), 1)[0] as PlatformProcess;
        victim.kill('SIGKILL');
        this.kills++;
        const replacement = this.startOne();
        this.starting.push(replacement);
        replacement.catch(() => undefined);
      }
    })();
  }

  /** Kills the run asked for but skipped because only one worker was ready. */
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
    return this.all.filter((w) => !w.running && !w.killedOnPurpose);
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
