import { Inject, Injectable } from '@nestjs/common';
import { benchmarkTaskFor } from '@bulkhead/plugin-benchmark';
import { TaskStore, type TaskEntity, type TaskFilter as StoreTaskFilter } from '@bulkhead/persistence';
import { PluginRegistry } from '@bulkhead/plugin-sdk';
import { DataSource } from 'typeorm';
import type { Connection } from '@bulkhead/plugin-sdk/api';
import { countTasks } from '../graphql/counts';
import { mapConnection, pageRequest } from '../graphql/pagination';
import { toTaskModel } from '../tasks/task.mapper';
import type { Task } from '../tasks/task.model';
import { requireTaskId, TaskService } from '../tasks/task.service';
import { DATA_SOURCE, PLUGIN_REGISTRY, TASK_STORE } from '../tokens';
import { reportOfResult, toControl, toSummary } from './benchmark-report';
import { describeBenchmarkTask, type BenchmarkTaskDescription } from './benchmark-task-description';
import type { BenchmarkRun } from './benchmark.model';

const BENCHMARK = 'benchmark';
/** Descriptions are pure functions of a task's (immutable) type and input: keep the recent ones. */
const DESCRIPTION_CACHE = 1000;

/** Benchmark runs: benchmark-kind tasks with the report their result carries. */
@Injectable()
export class BenchmarkService {
  private readonly descriptions = new Map<string, BenchmarkTaskDescription>();

  constructor(
    @Inject(TASK_STORE) private readonly tasks: TaskStore,
    @Inject(PLUGIN_REGISTRY) private readonly registry: PluginRegistry,
    @Inject(DATA_SOURCE) private readonly dataSource: DataSource,
    private readonly taskService: TaskService,
  ) {}

  /** Maps the profile to a benchmark task (unknown profile: BadInputError listing the profiles) and submits it. */
  run(target: string, profile: string): Promise<Task> {
    const request = benchmarkTaskFor(target, profile);
    return this.taskService.submit(BENCHMARK, request.type, request.input);
  }

  async get(id: string): Promise<BenchmarkRun | null> {
    const task = await this.tasks.get(requireTaskId(id));
    return task && task.kind === BENCHMARK ? this.toRun(task) : null;
  }

  async list(first: number | null | undefined, after: string | null | undefined): Promise<Connection<BenchmarkRun>> {
    const filter: StoreTaskFilter = { kind: BENCHMARK };
    const [page, totalCount] = await Promise.all([this.tasks.list(filter, pageRequest(first, after)), countTasks(this.dataSource, filter)]);
    return mapConnection(page, totalCount, (task) => this.toRun(task));
  }

  private describe(task: TaskEntity): BenchmarkTaskDescription {
    let description = this.descriptions.get(task.id);
    if (!description) {
      description = describeBenchmarkTask(this.registry, task.type, task.input);
      if (this.descriptions.size >= DESCRIPTION_CACHE) this.descriptions.delete(this.descriptions.keys().next().value as string);
      this.descriptions.set(task.id, description);
    }
    return description;
  }

  private toRun(task: TaskEntity): BenchmarkRun {
    const report = task.status === 'SUCCEEDED' ? reportOfResult(task.result) : null;
    const { profile, target } = this.describe(task);
    return {
      id: task.id,
      status: task.status,
      type: task.type,
      profile,
      target,
      title: report?.title ?? null,
      summary: report ? toSummary(report) : null,
      error: task.error,
      createdAt: task.createdAt,
      finishedAt: task.finishedAt,
      task: toTaskModel(task),
      allControls: report ? report.results.map(toControl) : [],
    };
  }
}
