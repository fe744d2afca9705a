import { TaskSubmitter, type SubmitTaskRequest, type SubmitTaskResult } from '@bulkhead/queue';
import { GraphQLError } from 'graphql';
import type { Redis } from 'ioredis';
import type { DataSource } from 'typeorm';
import { requestContext } from './request-context';

export interface TaskQuotaSettings {
  /** Unfinished (QUEUED or RUNNING) tasks one API token may have; 0 = no quota. */
  maxUnfinished: number;
  /** Redis key prefix (BULKHEAD_QUEUE_PREFIX): every replica sees the same sets. */
  prefix: string;
}

/**
 * Tasks queued per API token (BULKHEAD_MAX_QUEUED_TASKS_PER_TOKEN). Each token has a Redis set
 * of the ids of tasks it created; at the quota, the set is first cleaned of tasks that have
 * finished (one Postgres query), so it corrects itself whoever finished them. Two submissions
 * racing at the last free place may both pass: a bound within a few tasks, not a lock.
 */
export class QuotaTaskSubmitter extends TaskSubmitter {
  constructor(
    deps: ConstructorParameters<typeof TaskSubmitter>[0],
    private readonly quota: { redis: Redis; dataSource: DataSource; settings: TaskQuotaSettings },
  ) {
    super(deps);
  }

  override async submit(request: SubmitTaskRequest): Promise<SubmitTaskResult> {
    const tokenId = requestContext.principal()?.tokenId;
    const { maxUnfinished, prefix } = this.quota.settings;
    if (!tokenId || maxUnfinished === 0) return super.submit(request);
    const key = `${prefix}:task-quota:${tokenId}`;
    if ((await this.quota.redis.scard(key)) >= maxUnfinished) {
      await this.forgetFinished(key);
      if ((await this.quota.redis.scard(key)) >= maxUnfinished) {
        throw new GraphQLError(`this API token already has ${maxUnfinished} queued or running tasks (BULKHEAD_MAX_QUEUED_TASKS_PER_TOKEN); wait for some to finish`, {
          extensions: { code: 'RATE_LIMITED', limit: 'queuedTasks', max: maxUnfinished },
        });
      }
    }
    const result = await super.submit(request);
    if (result.created) await this.quota.redis.sadd(key, result.task.id);
    return result;
  }

  private async forgetFinished(key: string): Promise<void> {
    const ids = await this.quota.redis.smembers(key);
    if (ids.length === 0) return;
    const unfinished = await this.quota.dataSource.query<{ id: string }[]>(`SELECT id FROM task WHERE id = ANY($1::uuid[]) AND status IN ('QUEUED', 'RUNNING')`, [ids]);
    const live = new Set(unfinished.map((row) => row.id));
    const finished = ids.filter((id) => !live.has(id));
    if (finished.length > 0) await this.quota.redis.srem(key, ...finished);
  }
}
