import { Inject, Injectable } from '@nestjs/common';
import { BadInputError } from '@bulkhead/plugin-sdk';
import {
  connectionOf,
  HOST_REQUEST_CONTEXT,
  HOST_TASKS,
  PLUGIN_DATABASE,
  taskModelOf,
  type Connection,
  type HostRequestContext,
  type HostTask,
  type HostTasks,
  type PageRequest,
  type PluginDatabase,
  type Task,
} from '@bulkhead/plugin-sdk/api';
import { benchmarkTaskFor } from '../plugin';
import { reportOfResult, toControl, toSummary } from './benchmark-report';
import type { BenchmarkRun } from './benchmark-run.model';

const BENCHMARK = 'benchmark';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The profile and target a run was asked for, as stored by runBenchmark (table benchmark_run). */
interface RunRequest {
  profile: string;
  target: string;
}

export function requireTaskId(id: string): string {
  if (!UUID.test(id)) throw new BadInputError(`id: ${JSON.stringify(id)} is not a task id (a UUID)`);
  return id;
}

/**
 * Benchmark runs: benchmark-kind tasks with the report their result carries, and the profile
 * and target they were asked for, stored when runBenchmark submitted them (a benchmark task
 * submitted otherwise, e.g. with submitTask, has neither). Within the request's team: the tasks
 * through HostTasks (scoped by the host), the plugin's own table by its `team` column.
 */
@Injectable()
export class BenchmarkRunsService {
  constructor(
    @Inject(HOST_TASKS) private readonly tasks: HostTasks,
    @Inject(PLUGIN_DATABASE) private readonly db: PluginDatabase,
    @Inject(HOST_REQUEST_CONTEXT) private readonly context: HostRequestContext,
  ) {}

  /** Maps the profile to a benchmark task (unknown profile: BadInputError listing the profiles), submits it and records the request. */
  async run(target: string, profile: string): Promise<Task> {
    const request = benchmarkTaskFor(target, profile);
    const task = await this.tasks.submit({ kind: BENCHMARK, type: request.type, input: request.input });
    // The same request while that task is live returns the same task: its first request stays.
    await this.db.query('INSERT INTO benchmark_run (team, task_id, profile, target) VALUES ($4, $1, $2, $3) ON CONFLICT (team, task_id) DO NOTHING', [
      task.id,
      profile,
      target,
      this.context.requestTeam(),
    ]);
    return taskModelOf(task);
  }

  async get(id: string): Promise<BenchmarkRun | null> {
    const task = await this.tasks.get(requireTaskId(id));
    if (!task || task.kind !== BENCHMARK) return null;
    const requests = await this.requestsOf([task.id]);
    return toRun(task, requests.get(task.id));
  }

  async list(page: PageRequest): Promise<Connection<BenchmarkRun>> {
    const tasks = await this.tasks.list({ kind: BENCHMARK }, page);
    const requests = await this.requestsOf(tasks.items.map((task) => task.id));
    return connectionOf(tasks, (task) => toRun(task, requests.get(task.id)));
  }

  private async requestsOf(taskIds: readonly string[]): Promise<Map<string, RunRequest>> {
    if (taskIds.length === 0) return new Map();
    const rows = await this.db.query<RunRequest & { task_id: string }>('SELECT task_id, profile, target FROM benchmark_run WHERE team = $2 AND task_id = ANY($1::uuid[])', [
      taskIds,
      this.context.requestTeam(),
    ]);
    return new Map(rows.map((row) => [row.task_id, { profile: row.profile, target: row.target }]));
  }
}

function toRun(task: HostTask, request: RunRequest | undefined): BenchmarkRun {
  const report = task.status === 'SUCCEEDED' ? reportOfResult(task.result) : null;
  return {
    id: task.id,
    status: task.status,
    type: task.type,
    profile: request?.profile ?? null,
    target: request?.target ?? null,
    title: report?.title ?? null,
    summary: report ? toSummary(report) : null,
    error: task.error,
    createdAt: task.createdAt,
    finishedAt: task.finishedAt,
    task: taskModelOf(task),
    allControls: report ? report.results.map(toControl) : [],
  };
}
