import { PLUGIN_KINDS, type PluginKind } from '@bulkhead/plugin-sdk';
import { Queue, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { DEFAULT_JOB_OPTIONS, DEFAULT_QUEUE_PREFIX } from './job-options';
import { JobName, jobIdForTask, queueNameForKind, type JobOf } from './names';
import { createRedis } from './redis';

export interface QueueSettings {
  redisUrl: string;
  /** Redis key prefix (default `bulkhead`). */
  prefix?: string;
}

/** A parent job: its id and its queue's qualified name (`<prefix>:<queue>`, Job.queueQualifiedName). */
export interface JobParent {
  id: string;
  queue: string;
}

export type TaskJob = Job<JobOf<JobName.TaskRun>, unknown, JobName.TaskRun>;

/** Producer side of the per-kind task queues, on one connection it owns. */
export class TaskQueues {
  readonly prefix: string;
  private readonly connection: Redis;
  private readonly queues = new Map<PluginKind, Queue<JobOf<JobName.TaskRun>, unknown, JobName.TaskRun>>();

  constructor(settings: QueueSettings) {
    this.prefix = settings.prefix ?? DEFAULT_QUEUE_PREFIX;
    this.connection = createRedis(settings.redisUrl, 'producer');
    // Errors surface on the calls that fail; without a listener ioredis would also print them.
    this.connection.on('error', () => undefined);
    for (const kind of PLUGIN_KINDS) {
      const queue = new Queue<JobOf<JobName.TaskRun>, unknown, JobName.TaskRun>(queueNameForKind(kind), {
        connection: this.connection,
        prefix: this.prefix,
        defaultJobOptions: DEFAULT_JOB_OPTIONS,
      });
      queue.on('error', () => undefined);
      this.queues.set(kind, queue);
    }
  }

  queue(kind: PluginKind): Queue<JobOf<JobName.TaskRun>, unknown, JobName.TaskRun> {
    const queue = this.queues.get(kind);
    if (!queue) throw new Error(`no queue for plugin kind ${kind}`);
    return queue;
  }

  /**
   * Adds the task's job; a no-op when a job with the task's id already exists. With `parent`,
   * the job is a child of that job (a flow): the parent, in `waiting-children`, moves on when
   * its children are done, failed ones included (their failure is the parent's to judge).
   */
  async enqueue(task: { id: string; kind: PluginKind }, options: { parent?: JobParent } = {}): Promise<TaskJob> {
    return this.queue(task.kind).add(
      JobName.TaskRun,
      { taskId: task.id },
      { jobId: jobIdForTask(task.id), ...(options.parent ? { parent: options.parent, ignoreDependencyOnFailure: true } : {}) },
    );
  }

  /** Adds the tasks' jobs with one addBulk per queue (a job whose id already exists is left as it is). */
  async enqueueMany(tasks: readonly { id: string; kind: PluginKind }[]): Promise<TaskJob[]> {
    const byKind = new Map<PluginKind, string[]>();
    for (const task of tasks) {
      const ids = byKind.get(task.kind);
      if (ids) ids.push(task.id);
      else byKind.set(task.kind, [task.id]);
    }
    const added = await Promise.all(
      [...byKind].map(([kind, ids]) => this.queue(kind).addBulk(ids.map((id) => ({ name: JobName.TaskRun, data: { taskId: id }, opts: { jobId: jobIdForTask(id) } })))),
    );
    return added.flat();
  }

  async getJob(task: { id: string; kind: PluginKind }): Promise<TaskJob | undefined> {
    return this.queue(task.kind).getJob(jobIdForTask(task.id));
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.queues.values()].map((q) => q.close()));
    this.connection.disconnect();
  }
}
