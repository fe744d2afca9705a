import { declaredChildren, parseTaskInput, type ChildTaskOutcome, type PluginRegistry, type TaskDefinition, type TaskLogger } from '@bulkhead/plugin-sdk';
import { isFinishedStatus, TaskStore, teamScope, type TaskEntity } from '@bulkhead/persistence';
import { FLOW_CHILD_LABEL, TaskSubmitter, type ServerInputPolicy, type TaskJob, type TaskQueues } from '@bulkhead/queue';
import type { DataSource } from 'typeorm';
import { readChildOutcome } from './child-outcomes';

export { FLOW_CHILD_LABEL };

/** How often a parent whose children are not linked to its job looks at their rows again. */
export const DEFAULT_FLOW_POLL_MS = 5_000;

export interface TaskFlowDeps {
  dataSource: DataSource;
  registry: PluginRegistry;
  queues: TaskQueues;
  inputs: ServerInputPolicy;
  logger: TaskLogger;
  pollMs?: number;
}

/** What the parent's job does next. */
export type FlowStep = { run: readonly ChildTaskOutcome[] } | { wait: 'children' | 'delayed' };

/**
 * The worker side of a flow (TaskDefinition.children), as BullMQ's "process step" pattern:
 *
 * 1. The parent's job is taken like any other. Before its row is claimed, the children it
 *    declares for its input are looked up among its child rows (by FLOW_CHILD_LABEL), and the
 *    missing ones are submitted as tasks of its team: through the submitter (schema, confinement,
 *    the parent recorded), each job added as a child of the parent's job.
 * 2. While a child is unfinished, the parent's job moves to `waiting-children`: it holds no
 *    worker and no lock; BullMQ moves it back to `wait` when the last child job completes or
 *    fails for good (children are added with `ignoreDependencyOnFailure`: a failed child does
 *    not fail the parent, its outcome does what the parent's code says).
 * 3. When every child row is finished, their outcomes are read and the parent runs.
 *
 * The rows decide, never Redis: a child whose job is not linked to this parent (Redis was
 * flushed and the reconciler re-added both jobs; a child created by an earlier pass whose job
 * is gone) leaves the parent with nothing to wait for in BullMQ, so the job is delayed and
 * looks at the rows again after `pollMs`. Running again repeats nothing: the children exist.
 */
export class TaskFlow {
  constructor(private readonly deps: TaskFlowDeps) {}

  /** Whether a task of this definition is a flow's parent. */
  static isParent(definition: TaskDefinition): boolean {
    return typeof definition.children === 'function';
  }

  async step(task: TaskEntity, definition: TaskDefinition, job: TaskJob, token: string | undefined): Promise<FlowStep> {
    const requests = declaredChildren(definition, parseTaskInput(definition, task.input));
    const store = new TaskStore(this.deps.dataSource, teamScope(task.team));
    const existing = await this.childrenByIndex(store, task.id);
    const submitter = new TaskSubmitter({ registry: this.deps.registry, tasks: store, queues: this.deps.queues, inputs: this.deps.inputs, logger: this.deps.logger });
    const parent = job.id !== undefined ? { id: job.id, queue: job.queueQualifiedName } : undefined;
    const children: TaskEntity[] = [];
    for (const [index, request] of requests.entries()) {
      const found = existing.get(index);
      if (found) {
        children.push(found);
        continue;
      }
      const { task: child } = await submitter.submit({
        kind: request.kind,
        type: request.type,
        input: request.input,
        labels: { ...request.labels, [FLOW_CHILD_LABEL]: String(index) },
        parentTaskId: task.id,
        ...(parent ? { jobParent: parent } : {}),
      });
      children.push(child);
    }
    if (children.every((child) => isFinishedStatus(child.status))) return { run: await this.outcomes(children) };
    const unfinished = children.filter((child) => !isFinishedStatus(child.status)).length;
    this.deps.logger.info({ taskId: task.id, children: children.length, unfinished }, 'waiting for child tasks');
    if (token && (await job.moveToWaitingChildren(token))) return { wait: 'children' };
    // Nothing linked is pending in Redis: the children may have finished meanwhile, or their
    // jobs are not this job's children. The rows say which.
    const fresh = await Promise.all(children.map(async (child) => (await store.get(child.id)) ?? child));
    if (fresh.every((child) => isFinishedStatus(child.status))) return { run: await this.outcomes(fresh) };
    await job.moveToDelayed(Date.now() + (this.deps.pollMs ?? DEFAULT_FLOW_POLL_MS), token);
    return { wait: 'delayed' };
  }

  private async outcomes(children: readonly TaskEntity[]): Promise<ChildTaskOutcome[]> {
    return Promise.all(children.map((child) => readChildOutcome(this.deps.dataSource, child)));
  }

  /** The parent's flow children by their declared index (a task's children are few: MAX_FLOW_CHILDREN). */
  private async childrenByIndex(store: TaskStore, parentTaskId: string): Promise<Map<number, TaskEntity>> {
    const byIndex = new Map<number, TaskEntity>();
    let after: string | undefined;
    for (;;) {
      const page = await store.list({ parentTaskId }, { first: 500, ...(after ? { after } : {}) });
      for (const { node } of page.edges) {
        const label = node.labels?.[FLOW_CHILD_LABEL];
        if (label === undefined || !/^\d+$/.test(label)) continue;
        const index = Number(label);
        // The oldest child with an index is the one: a later duplicate (a race) is ignored.
        const known = byIndex.get(index);
        if (!known || node.createdAt < known.createdAt) byIndex.set(index, node);
      }
      if (!page.pageInfo.hasNextPage || !page.pageInfo.endCursor) break;
      after = page.pageInfo.endCursor;
    }
    return byIndex;
  }
}
