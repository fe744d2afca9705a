import { Inject } from '@nestjs/common';
import { Query, Resolver } from '@nestjs/graphql';
import { tableName, TaskEntity } from '@bulkhead/persistence';
import { HOST_REQUEST_CONTEXT, type HostRequestContext } from '@bulkhead/plugin-sdk/api';
import type { DataSource } from 'typeorm';
import { DATA_SOURCE } from '../tokens';
import { TaskQueueHealth } from './task-queue-health.model';

@Resolver(() => TaskQueueHealth)
export class TaskQueueHealthResolver {
  constructor(
    @Inject(DATA_SOURCE) private readonly dataSource: DataSource,
    @Inject(HOST_REQUEST_CONTEXT) private readonly context: HostRequestContext,
  ) {}

  @Query(() => TaskQueueHealth, {
    description: "The caller's team's task queue at a glance: QUEUED and RUNNING counts and the submission time of the oldest of each (a queue that stalls shows as an old oldestQueuedAt). Read from the index of unfinished tasks, whatever the number of finished ones.",
  })
  async taskQueueHealth(): Promise<TaskQueueHealth> {
    // IDX_task_unfinished holds only unfinished tasks (finished_at IS NULL): the finished millions are never read.
    const rows = (await this.dataSource.query(
      `SELECT status::text AS status, count(*)::int AS n, min(created_at) AS oldest FROM ${tableName(this.dataSource, TaskEntity)}
        WHERE finished_at IS NULL AND team = $1 GROUP BY status`,
      [this.context.requestTeam()],
    )) as { status: string; n: number; oldest: Date }[];
    const of = (status: string) => rows.find((row) => row.status === status);
    return { queued: of('QUEUED')?.n ?? 0, running: of('RUNNING')?.n ?? 0, oldestQueuedAt: of('QUEUED')?.oldest ?? null, oldestRunningAt: of('RUNNING')?.oldest ?? null };
  }
}
