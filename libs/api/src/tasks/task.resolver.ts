import { Args, ID, Int, Mutation, Query, Resolver, Subscription } from '@nestjs/graphql';
import { PluginKind } from '../graphql/enums';
import { GraphQLJSON } from '@bulkhead/plugin-sdk/api';
import { Task, TaskConnection, TaskFilter, TaskUpdate } from './task.model';
import { TaskService } from './task.service';
import { TaskUpdatesService } from './task-updates.service';

/** The scanner's image scan: the typed shortcut for submitTask(SCANNER, "scan-image", {source}). */
const SCAN_IMAGE = { kind: 'scanner', type: 'scan-image' } as const;

@Resolver(() => Task)
export class TaskResolver {
  constructor(
    private readonly taskService: TaskService,
    private readonly taskUpdates: TaskUpdatesService,
  ) {}

  @Query(() => Task, { nullable: true, description: 'A task by id; null when there is none.' })
  task(@Args('id', { type: () => ID }) id: string): Promise<Task | null> {
    return this.taskService.get(id);
  }

  @Query(() => TaskConnection, { description: 'Tasks, newest first.' })
  tasks(
    @Args('filter', { type: () => TaskFilter, nullable: true }) filter?: TaskFilter | null,
    @Args('first', { type: () => Int, nullable: true, description: 'Page size, 1 to 500 (default 50).' }) first?: number | null,
    @Args('after', { type: () => String, nullable: true, description: 'endCursor of the previous page.' }) after?: string | null,
  ): Promise<TaskConnection> {
    return this.taskService.list(filter, first, after);
  }

  @Mutation(() => Task, {
    description:
      "Submits a task of any plugin. The input is validated against the task's JSON Schema (Query.plugins); a bad one is a BAD_USER_INPUT error naming the fields. The same request twice returns the same live task.",
  })
  submitTask(
    @Args('kind', { type: () => PluginKind }) kind: PluginKind,
    @Args('type') type: string,
    @Args('input', { type: () => GraphQLJSON }) input: unknown,
  ): Promise<Task> {
    return this.taskService.submit(kind, type, input);
  }

  @Mutation(() => Task, { description: 'Inventories an image on a worker: `oci:/path/to/layout[:ref]`, `docker-archive:/path.tar` or `rootfs:/dir` (paths as the worker sees them).' })
  scanImage(@Args('source') source: string): Promise<Task> {
    return this.taskService.submit(SCAN_IMAGE.kind, SCAN_IMAGE.type, { source });
  }

  @Mutation(() => Task, { description: 'Cancels a QUEUED or RUNNING task (NOT_FOUND / TASK_FINISHED errors otherwise).' })
  cancelTask(@Args('id', { type: () => ID }) id: string): Promise<Task> {
    return this.taskService.cancel(id);
  }

  @Subscription(() => TaskUpdate, {
    description: "The task's current state, then every change until it is finished; then the subscription completes.",
    resolve: (update: TaskUpdate) => update,
  })
  taskUpdated(@Args('id', { type: () => ID }) id: string): Promise<AsyncIterableIterator<TaskUpdate>> {
    return this.taskUpdates.updates(id);
  }
}
