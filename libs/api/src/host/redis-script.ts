import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/**
 * A Lua script run as one command: EVALSHA, and EVAL only when Redis does not hold it yet (a
 * restart or SCRIPT FLUSH forgets scripts). One command per use where a MULTI … EXEC block costs
 * one per step plus two, and the script's text is not sent every time as with EVAL.
 */
export class RedisScript {
  private readonly sha: string;

  constructor(private readonly lua: string) {
    this.sha = createHash('sha1').update(lua).digest('hex');
  }

  async run(redis: Redis, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    try {
      return await redis.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!String((error as Error).message).startsWith('NOSCRIPT')) throw error;
      return redis.eval(this.lua, keys.length, ...keys, ...args);
    }
  }
}
