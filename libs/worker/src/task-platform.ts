import { createHash } from 'node:crypto';
import { BadInputError, checkPlatformNotification, type FollowUpTaskRequest, type PlatformNotification, type PluginRegistry, type PluginServices, type TaskDefinition, type TaskLogger, type TaskPlatform } from '@bulkhead/plugin-sdk';
import type { PluginDatabase } from '@bulkhead/plugin-sdk/api';
import { ArtifactEntity, DataSourcePluginDatabase, StoreInventories, tableName, TaskStore, teamScope, type TaskEntity } from '@bulkhead/persistence';
import { TaskSubmitter, type NotificationsPublisher, type ServerInputPolicy, type TaskQueues } from '@bulkhead/queue';
import type { DataSource } from 'typeorm';

/** Default bound on the tasks one task may queue (BULKHEAD_MAX_CHILD_TASKS). */
export const DEFAULT_MAX_CHILD_TASKS = 1000;
/**
 * Most notifications one task attempt may raise: a task fed hostile input (an image with
 * thousands of distinct subjects) must not turn into thousands of deliveries per channel.
 */
export const MAX_NOTIFICATIONS_PER_TASK = 20;
/** The label a task queued by submitTaskInEveryTeam carries: the id of the task that queued it. */
export const ORIGIN_TASK_LABEL = 'bulkhead.io/origin-task';

export interface WorkerTaskPlatformDeps {
  dataSource: DataSource;
  registry: PluginRegistry;
  queues: TaskQueues;
  inputs: ServerInputPolicy;
  /** The running task's row (its id and team). */
  task: Pick<TaskEntity, 'id' | 'team' | 'kind' | 'type'> & Partial<Pick<TaskEntity, 'pluginId'>>;
  definition: Pick<TaskDefinition, 'type' | 'everyTeamFollowUps'>;
  /** Most tasks this task may queue, over every attempt (children already recorded count). */
  maxChildTasks: number;
  logger: TaskLogger;
  /** Where `notify` announces (the installation's notifications channel); absent: notify refuses. */
  notifications?: NotificationsPublisher;
}

/**
 * The TaskPlatform a task gets on the worker: its team, the plugin database (the same adapter as
 * the API's), its team's stored inventories, and follow-up tasks. Follow-ups go through the
 * queue's submitter, so they are validated, confined (BULKHEAD_ALLOWED_PATHS) and deduplicated
 * exactly like a client's submission, within the task's team and recorded as its children.
 *
 * The bound: a task's input may come from an attacker (an image, an advisory file), so a task
 * may queue at most `maxChildTasks` tasks, whatever it is fed; the count starts from the
 * children already recorded (a retried attempt does not get a fresh allowance) and a request
 * that only finds a live duplicate does not count.
 */
export class WorkerTaskPlatform implements TaskPlatform {
  readonly team: string;
  readonly database: PluginDatabase;
  readonly inventories: StoreInventories;
  readonly services: PluginServices;
  private readonly submitter: TaskSubmitter;
  private queued: number | undefined;
  private notified = 0;

  constructor(private readonly deps: WorkerTaskPlatformDeps) {
    this.team = deps.task.team;
    this.database = new DataSourcePluginDatabase(deps.dataSource);
    this.inventories = new StoreInventories(deps.dataSource, deps.task.team);
    this.services = deps.registry.services({ database: this.database, team: deps.task.team });
    this.submitter = this.submitterFor(deps.task.team);
  }

  async submitTask(request: FollowUpTaskRequest): Promise<{ id: string }> {
    await this.reserve(1);
    const { task, created } = await this.submitter.submit({ ...request, parentTaskId: this.deps.task.id });
    if (!created) this.release(1);
    return { id: task.id };
  }

  async submitTaskInEveryTeam(request: FollowUpTaskRequest): Promise<{ team: string; id: string }[]> {
    const declared = this.deps.definition.everyTeamFollowUps ?? [];
    if (!declared.some((d) => d.kind === request.kind && d.type === request.type)) {
      throw new Error(
        `task ${this.deps.task.kind}/${this.deps.task.type} may not queue ${request.kind}/${request.type} in every team: its definition does not list it in everyTeamFollowUps`,
      );
    }
    const artifacts = tableName(this.deps.dataSource, ArtifactEntity);
    const teams = (await this.deps.dataSource.query<{ team: string }[]>(`SELECT DISTINCT team FROM ${artifacts} ORDER BY team`)).map((row) => row.team);
    await this.reserve(teams.length);
    const out: { team: string; id: string }[] = [];
    for (const team of teams) {
      // A task of that team, not this task's child: a parent must be of the same team.
      const { task, created } = await this.submitterFor(team).submit({
        kind: request.kind,
        type: request.type,
        input: request.input,
        labels: { ...request.labels, [ORIGIN_TASK_LABEL]: this.deps.task.id },
      });
      if (!created) this.release(1);
      out.push({ team, id: task.id });
    }
    this.deps.logger.info({ kind: request.kind, type: request.type, teams: teams.length }, 'queued a follow-up task in every team');
    return out;
  }

  /**
   * Announces a notification for the task's team. Its id is derived from the task, category and
   * subject: a retried attempt that raises the same event again is delivered once.
   */
  async notify(event: PlatformNotification): Promise<void> {
    const checked = checkPlatformNotification(event);
    if (!this.deps.notifications) throw new Error('notifications are not available on this worker');
    if (this.notified >= MAX_NOTIFICATIONS_PER_TASK) {
      throw new BadInputError(`task ${this.deps.task.id} may raise at most ${MAX_NOTIFICATIONS_PER_TASK} notifications`);
    }
    this.notified++;
    const id = createHash('sha256').update(`${this.deps.task.id}\n${checked.category}\n${checked.subject ?? ''}`).digest('hex');
    await this.deps.notifications.publish(this.team, checked, { id, taskId: this.deps.task.id, plugin: this.deps.task.pluginId ?? null });
    this.deps.logger.info({ category: checked.category }, 'notification raised');
  }

  /** Counts `count` more queued tasks against the bound, or refuses (a BadInputError: not retried). */
  private async reserve(count: number): Promise<void> {
    this.queued ??= await new TaskStore(this.deps.dataSource, teamScope(this.deps.task.team)).count({ parentTaskId: this.deps.task.id });
    if (this.queued + count > this.deps.maxChildTasks) {
      throw new BadInputError(
        `task ${this.deps.task.id} may queue at most ${this.deps.maxChildTasks} tasks (BULKHEAD_MAX_CHILD_TASKS); it has queued ${this.queued} and asked for ${count} more`,
      );
    }
    this.queued += count;
  }

  private release(count: number): void {
    if (this.queued !== undefined) this.queued -= count;
  }

  private submitterFor(team: string): TaskSubmitter {
    return new TaskSubmitter({
      registry: this.deps.registry,
      tasks: new TaskStore(this.deps.dataSource, teamScope(team)),
      queues: this.deps.queues,
      inputs: this.deps.inputs,
      logger: this.deps.logger,
    });
  }
}
