import { Args, ID, Int, Mutation, Parent, Query, ResolveField, Resolver, Subscription } from '@nestjs/graphql';
import { GraphQLJSON, PluginKind, RequireRole } from '@bulkhead/plugin-sdk/api';
import { DEFAULT_TASK_LOG_PAGE } from '@bulkhead/persistence';
import { Image } from '../images/image.model';
import { ImageService } from '../images/image.service';
import { Task, TaskConnection, TaskFilter, TaskSubmission, TaskUpdate } from './task.model';
import { LogLevel, TaskLogConnection } from './task-log.model';
import { TaskLogService } from './task-log.service';
import { TaskService } from './task.service';
import { TaskUpdatesService } from './task-updates.service';

/** The scanner's image scan: the typed shortcut for submitTask(SCANNER, "scan-image", {source}). */
const SCAN_IMAGE = { kind: 'scanner', type: 'scan-image' } as const;

@Resolver(() => Task)
export class TaskResolver {
  constructor(
    private readonly taskService: TaskService,
    private readonly taskUpdates: TaskUpdatesService,
    private readonly imageService: ImageService,
    private readonly taskLogs: TaskLogService,
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

  @RequireRole('operator')
  @Mutation(() => Task, {
    description:
      "Submits a task of any plugin. The input is validated against the task's JSON Schema (Query.plugins); a bad one is a BAD_USER_INPUT error naming the fields. The same request twice returns the same live task.",
  })
  submitTask(
    @Args('kind', { type: () => PluginKind }) kind: PluginKind,
    @Args('type') type: string,
    @Args('input', { type: () => GraphQLJSON }) input: unknown,
    @Args('labels', { type: () => GraphQLJSON, nullable: true, description: 'String labels to store with the task, e.g. {"pipeline": "nightly"} (at most 32).' }) labels?: unknown,
    @Args('parentTaskId', { type: () => ID, nullable: true, description: 'The task this one belongs to; it must exist.' }) parentTaskId?: string | null,
  ): Promise<Task> {
    return this.taskService.submit(kind, type, input, { labels, parentTaskId });
  }

  @RequireRole('operator')
  @Mutation(() => [Task], {
    description:
      'Submits up to 500 tasks at once (CI pipelines, the CLI scanning many images), each as submitTask would: all are validated first (a bad one is a BAD_USER_INPUT error naming its index, and nothing is submitted), then recorded and queued together. The tasks are returned in order; a batch of N counts as N against the rate limit and the queued-task quota.',
  })
  submitTasks(@Args('tasks', { type: () => [TaskSubmission] }) tasks: TaskSubmission[]): Promise<Task[]> {
    return this.taskService.submitMany(tasks);
  }

  @RequireRole('operator')
  @Mutation(() => Task, { description: 'Inventories an image on a worker: `oci:/path/to/layout[:ref]`, `docker-archive:/path.tar` or `rootfs:/dir` (paths as the worker sees them).' })
  scanImage(@Args('source') source: string): Promise<Task> {
    return this.taskService.submit(SCAN_IMAGE.kind, SCAN_IMAGE.type, { source });
  }

  @RequireRole('operator')
  @Mutation(() => Task, { description: 'Cancels a QUEUED or RUNNING task (NOT_FOUND / TASK_FINISHED errors otherwise).' })
  cancelTask(@Args('id', { type: () => ID }) id: string): Promise<Task> {
    return this.taskService.cancel(id);
  }

  @ResolveField(() => Image, { nullable: true, description: 'The image (artifact) the task produced, once it has emitted one.' })
  image(@Parent() task: Task): Promise<Image | null> {
    return task.artifactId ? this.imageService.byId(task.artifactId) : Promise.resolve(null);
  }

  @ResolveField(() => TaskLogConnection, {
    description:
      "What the task logged, oldest first: its plugin's lines at INFO and above and the platform's lines about it (at most about 1,000 lines and 256 KiB per task; then one line says how many were dropped). Written by the worker about once a second while the task runs: poll with `after` = the last endCursor for new lines.",
  })
  logs(
    @Parent() task: Task,
    @Args('first', { type: () => Int, nullable: true, defaultValue: DEFAULT_TASK_LOG_PAGE, description: 'Page size, 1 to 500.' }) first: number | null,
    @Args('after', { type: () => String, nullable: true, description: 'endCursor of the previous page.' }) after?: string | null,
    @Args('minLevel', { type: () => LogLevel, nullable: true, description: 'Only lines at this level or above (default INFO: all).' }) minLevel?: LogLevel | null,
  ): Promise<TaskLogConnection> {
    return this.taskLogs.page(task.id, first ?? DEFAULT_TASK_LOG_PAGE, after, minLevel);
  }

  @Subscription(() => TaskUpdate, {
    description: "The task's current state, then every change until it is finished; then the subscription completes.",
    resolve: (update: TaskUpdate) => update,
  })
  taskUpdated(@Args('id', { type: () => ID }) id: string): Promise<AsyncIterableIterator<TaskUpdate>> {
    return this.taskUpdates.updates(id);
  }
}
