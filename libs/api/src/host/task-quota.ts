import { TaskSubmitter, type SubmitTaskRequest, type SubmitTaskResult } from '@bulkhead/queue';
import { randomUUID } from 'node:crypto';
import { GraphQLError } from 'graphql';
import type { Logger } from '@bulkhead/common';
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
 * Takes places for the reservations ARGV[3..] (scored ARGV[2]) if the token then has at most
 * ARGV[1]: the count and the adds are one Redis command, so no two submissions (on any replica)
 * can both take the last place. A batch of N takes N places or none.
 */
const TAKE_PLACES = new RedisScript(`
if redis.call('ZCARD', KEYS[1]) + #ARGV - 2 > tonumber(ARGV[1]) then return 0 end
for i = 3, #ARGV do redis.call('ZADD', KEYS[1], ARGV[2], ARGV[i]) end
return 1
`);

/**
 * Gives reservations back and puts the created tasks' ids in their places, atomically:
 * ARGV[1] is the score, ARGV[2] the number of reservations, then the reservations, then the ids.
 */
const SWAP_PLACES = new RedisScript(`
local reservations = tonumber(ARGV[2])
for i = 3, 2 + reservations do redis.call('ZREM', KEYS[1], ARGV[i]) end
for i = 3 + reservations, #ARGV do redis.call('ZADD', KEYS[1], ARGV[1], ARGV[i]) end
return 1
`);

/** A token already has its quota of unfinished tasks (BULKHEAD_MAX_QUEUED_TASKS_PER_TOKEN). */
export class TaskQuotaExceededError extends Error {
  override readonly name = 'TaskQuotaExceededError';
  constructor(
    readonly max: number,
    /** How many tasks the refused submission had (a submitTasks batch: more than one). */
    batch = 1,
  ) {
    super(
      batch > max
        ? `a batch of ${batch} tasks is more than the ${max} queued or running tasks an API token may have (BULKHEAD_MAX_QUEUED_TASKS_PER_TOKEN); submit fewer at a time`
        : batch > 1
          ? `a batch of ${batch} tasks does not fit in the ${max} queued or running tasks this API token may have (BULKHEAD_MAX_QUEUED_TASKS_PER_TOKEN); wait for some to finish or submit fewer`
          : `this API token already has ${max} queued or running tasks (BULKHEAD_MAX_QUEUED_TASKS_PER_TOKEN); wait for some to finish`,
    );
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
  constructor(private readonly quota: { redis: Redis; dataSource: DataSource; settings: TaskQuotaSettings; logger?: Logger }) {}

  /** Runs `submit` in one of the token's places; TaskQuotaExceededError when it has none left. No token or no quota: just runs it. */
  async submitAs(tokenId: string | null | undefined, submit: () => Promise<SubmitTaskResult>): Promise<SubmitTaskResult> {
    const [result] = await this.submitManyAs(tokenId, 1, async () => [await submit()]);
    return result as SubmitTaskResult;
  }

  /** Runs `submit` (a batch of `count`) in `count` of the token's places, all or none: a batch of N counts as N. */
  async submitManyAs(tokenId: string | null | undefined, count: number, submit: () => Promise<SubmitTaskResult[]>): Promise<SubmitTaskResult[]> {
    const { maxUnfinished, prefix } = this.quota.settings;
    if (!tokenId || maxUnfinished === 0) return submit();
    const key = `${prefix}:task-places:${tokenId}`;
    const reservations = Array.from({ length: count }, () => `${RESERVATION}${randomUUID()}`);
    if (count > maxUnfinished) throw new TaskQuotaExceededError(maxUnfinished, count);
    if (!(await this.take(key, reservations))) {
      await this.forgetFinished(key);
      if (!(await this.take(key, reservations))) throw new TaskQuotaExceededError(maxUnfinished, count);
    }
    let results: SubmitTaskResult[] | undefined;
    try {
      results = await submit();
      return results;
    } finally {
      // Not awaited (one round trip less per submission): until it runs, the reservation holds
      // the place, so the count is the same either way, and this connection's later commands
      // (the next TAKE_PLACES) reach Redis after it. Should it fail, the reservation expires
      // after RESERVATION_TTL_MS, as one of a replica that died.
      const created = (results ?? []).filter((r) => r.created).map((r) => r.task.id);
      SWAP_PLACES.run(this.quota.redis, [key], [Date.now(), reservations.length, ...reservations, ...created]).catch((error: unknown) =>
        this.quota.logger?.warn({ err: (error as Error).message, tokenId, tasks: created.length }, 'could not record the quota places of new tasks; their reservations expire in a minute'),
      );
    }
  }

  private async take(key: string, members: readonly string[]): Promise<boolean> {
    return (await TAKE_PLACES.run(this.quota.redis, [key], [this.quota.settings.maxUnfinished, Date.now(), ...members])) === 1;
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
    return quotaError(() => this.quota.submitAs(requestContext.principal()?.tokenId, () => super.submit(request)));
  }

  override async submitMany(requests: readonly SubmitTaskRequest[]): Promise<SubmitTaskResult[]> {
    return quotaError(() => this.quota.submitManyAs(requestContext.principal()?.tokenId, requests.length, () => super.submitMany(requests)));
  }
}

async function quotaError<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (!(error instanceof TaskQuotaExceededError)) throw error;
    throw new GraphQLError(error.message, { extensions: { code: 'RATE_LIMITED', limit: 'queuedTasks', max: error.max } });
  }
}
