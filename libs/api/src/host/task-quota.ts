import { TaskSubmitter, type SubmitTaskRequest, type SubmitTaskResult } from '@bulkhead/queue';
import { randomUUID } from 'node:crypto';
import { GraphQLError } from 'graphql';
import type { Redis } from 'ioredis';
import type { DataSource } from 'typeorm';
import { RedisScript } from './redis-script';
import { requestContext } from './request-context';

export interface TaskQuotaSettings {
  /** Unfinished (QUEUED or RUNNING) tasks one API token may have; 0 = no quota. */
  maxUnfinished: number;
  /** Redis key prefix (BULKHEAD_QUEUE_PREFIX): every replica sees the same sets. */
  prefix: string;
}

/** A reservation not turned into a task id within this long is from a replica that died mid-submission. */
const RESERVATION_TTL_MS = 60_000;
const RESERVATION = 'r:';

/**
 * Takes one place if the token has fewer than ARGV[1]: the count and the add are one Redis
 * command, so no two submissions (on any replica) can both take the last place.
 */
const TAKE_PLACE = new RedisScript(`
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[2])
return 1
`);

/** Gives a reservation back and, when a task was created, puts its id in its place (ARGV[2], or '' for none), atomically. */
const SWAP_PLACE = new RedisScript(`
redis.call('ZREM', KEYS[1], ARGV[1])
if ARGV[2] ~= '' then redis.call('ZADD', KEYS[1], ARGV[3], ARGV[2]) end
return 1
`);

/** A token already has its quota of unfinished tasks (BULKHEAD_MAX_QUEUED_TASKS_PER_TOKEN). */
export class TaskQuotaExceededError extends Error {
  override readonly name = 'TaskQuotaExceededError';
  constructor(readonly max: number) {
    super(`this API token already has ${max} queued or running tasks (BULKHEAD_MAX_QUEUED_TASKS_PER_TOKEN); wait for some to finish`);
  }
}

/**
 * Tasks queued per API token (BULKHEAD_MAX_QUEUED_TASKS_PER_TOKEN), exact under concurrency.
 * Each token has a Redis sorted set of its places: the ids of its unfinished tasks, and
 * reservations (`r:<uuid>`, scored by time) of submissions in flight. A submission first
 * reserves a place atomically (TAKE_PLACE), then submits, then swaps the reservation for the new
 * task's id, or gives it back when no task was created. At the quota, the set is first cleaned
 * of tasks that have finished (one Postgres query; finished is final, so removing them is safe
 * whoever does it) and of reservations older than a minute. Used by GraphQL submissions (the
 * request's token) and by schedule firings (the token that created or last edited the schedule).
 */
export class TokenTaskQuota {
  constructor(private readonly quota: { redis: Redis; dataSource: DataSource; settings: TaskQuotaSettings }) {}

  /** Runs `submit` in one of the token's places; TaskQuotaExceededError when it has none left. No token or no quota: just runs it. */
  async submitAs(tokenId: string | null | undefined, submit: () => Promise<SubmitTaskResult>): Promise<SubmitTaskResult> {
    const { maxUnfinished, prefix } = this.quota.settings;
    if (!tokenId || maxUnfinished === 0) return submit();
    const key = `${prefix}:task-places:${tokenId}`;
    const reservation = `${RESERVATION}${randomUUID()}`;
    if (!(await this.take(key, reservation))) {
      await this.forgetFinished(key);
      if (!(await this.take(key, reservation))) throw new TaskQuotaExceededError(maxUnfinished);
    }
    let result: SubmitTaskResult | undefined;
    try {
      result = await submit();
      return result;
    } finally {
      await SWAP_PLACE.run(this.quota.redis, [key], [reservation, result?.created ? result.task.id : '', Date.now()]);
    }
  }

  private async take(key: string, member: string): Promise<boolean> {
    return (await TAKE_PLACE.run(this.quota.redis, [key], [this.quota.settings.maxUnfinished, member, Date.now()])) === 1;
  }

  private async forgetFinished(key: string): Promise<void> {
    const places = await this.quota.redis.zrange(key, 0, -1, 'WITHSCORES');
    const stale: string[] = [];
    const ids: string[] = [];
    for (let i = 0; i < places.length; i += 2) {
      const member = places[i] as string;
      if (!member.startsWith(RESERVATION)) ids.push(member);
      else if (Date.now() - Number(places[i + 1]) > RESERVATION_TTL_MS) stale.push(member);
    }
    if (ids.length > 0) {
      const unfinished = await this.quota.dataSource.query<{ id: string }[]>(`SELECT id FROM task WHERE id = ANY($1::uuid[]) AND status IN ('QUEUED', 'RUNNING')`, [ids]);
      const live = new Set(unfinished.map((row) => row.id));
      stale.push(...ids.filter((id) => !live.has(id)));
    }
    if (stale.length > 0) await this.quota.redis.zrem(key, ...stale);
  }
}

/** The task submitter of GraphQL and host capabilities: every submission counts against the request's token (TokenTaskQuota). */
export class QuotaTaskSubmitter extends TaskSubmitter {
  readonly quota: TokenTaskQuota;

  constructor(deps: ConstructorParameters<typeof TaskSubmitter>[0], quota: TokenTaskQuota | { redis: Redis; dataSource: DataSource; settings: TaskQuotaSettings }) {
    super(deps);
    this.quota = quota instanceof TokenTaskQuota ? quota : new TokenTaskQuota(quota);
  }

  override async submit(request: SubmitTaskRequest): Promise<SubmitTaskResult> {
    try {
      return await this.quota.submitAs(requestContext.principal()?.tokenId, () => super.submit(request));
    } catch (error) {
      if (!(error instanceof TaskQuotaExceededError)) throw error;
      throw new GraphQLError(error.message, { extensions: { code: 'RATE_LIMITED', limit: 'queuedTasks', max: error.max } });
    }
  }
}
