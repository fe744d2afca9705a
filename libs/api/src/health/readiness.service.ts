import { Inject, Injectable } from '@nestjs/common';
import { Redis } from 'ioredis';
import { DataSource } from 'typeorm';
import { DATA_SOURCE, REDIS } from '../tokens';

export interface ReadinessReport {
  ready: boolean;
  /** Per dependency: `ok` or the error message. */
  checks: Record<'postgres' | 'redis', string>;
  failed: string[];
}

/** Readiness probes one round trip to each backing service, each bounded so a hung one cannot hang the probe. */
@Injectable()
export class ReadinessService {
  static readonly timeoutMs = 2000;

  constructor(
    @Inject(DATA_SOURCE) private readonly dataSource: DataSource,
    @Inject(REDIS) private readonly redis: Redis,
  ) {}

  async check(): Promise<ReadinessReport> {
    const [postgres, redis] = await Promise.all([
      probe(async () => {
        await this.dataSource.query('SELECT 1');
      }),
      probe(async () => {
        const reply = await this.redis.ping();
        if (reply !== 'PONG') throw new Error(`PING answered ${JSON.stringify(reply)}`);
      }),
    ]);
    const checks = { postgres, redis };
    const failed = Object.entries(checks)
      .filter(([, result]) => result !== 'ok')
      .map(([name]) => name);
    return { ready: failed.length === 0, checks, failed };
  }
}

async function probe(fn: () => Promise<void>): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ReadinessService.timeoutMs} ms`)), ReadinessService.timeoutMs);
  });
  try {
    await Promise.race([fn(), timeout]);
    return 'ok';
  } catch (error) {
    return (error as Error).message || String(error);
  } finally {
    clearTimeout(timer);
  }
}
