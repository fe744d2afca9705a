import { BadInputError, defineTask, type ScopedFindings, type TaskContext } from '@bulkhead/plugin-sdk';
import { z } from 'zod';
import { K8S_CHECK_GROUPS } from '../k8s/evaluate';
import { KubeApiClient } from './api-client';
import { connect } from './connect';
import { ClusterInventory, type InventoryChange } from './inventory';
import { CLUSTER_FINDING_PRODUCER, LiveChecks, type TargetReport } from './live-checks';
import { inventoryKind } from './kinds';
import { CLUSTER_NAME_PATTERN, toWorkload, type ClusterObject } from './model';
import { ClusterStore } from './store';

export const WATCH_CLUSTER_TASK = 'watch-cluster';

/**
 * Input of `watch-cluster` (and, without `cluster`, of the CLI's `cluster scan`):
 * - `cluster`: the name the inventory's rows and finding targets carry (lowercase DNS-like);
 * - `kubeconfig` (a server-side path, confined by BULKHEAD_ALLOWED_PATHS) and `context`, or `inCluster`;
 * - `allowExec`: let the kubeconfig's exec / auth-provider credential plugin run on the worker
 *   (the operator must set BULKHEAD_ENABLE_CLUSTER_EXEC_CREDENTIALS=true);
 * - `namespaces`: only these namespaces; `pss`, `checks`: as for `k8s-manifests`.
 */
export const clusterConnectionInput = {
  kubeconfig: z.string().min(1).optional(),
  context: z.string().min(1).max(253).optional(),
  inCluster: z.boolean().optional(),
  allowExec: z.boolean().optional(),
  namespaces: z.array(z.string().regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, 'expected a namespace name')).min(1).max(1000).optional(),
  pss: z.object({ level: z.enum(['baseline', 'restricted']), version: z.string().regex(/^(latest|v1\.(0|[1-9]\d*))$/, 'expected "latest" or "v1.<minor>"').default('latest') }).optional(),
  checks: z.array(z.enum(K8S_CHECK_GROUPS)).min(1).optional(),
};

export const watchClusterInput = z
  .object({ cluster: z.string().regex(CLUSTER_NAME_PATTERN, 'expected a lowercase name of letters, digits, "-" and "." (at most 63)'), ...clusterConnectionInput })
  .refine((i) => !(i.inCluster && i.kubeconfig), { message: 'give kubeconfig or inCluster, not both', path: ['inCluster'] })
  .refine((i) => i.inCluster || i.kubeconfig, { message: 'a server needs kubeconfig (a path) or inCluster: true', path: ['kubeconfig'] });
export type WatchClusterInput = z.output<typeof watchClusterInput>;

/** Changes are gathered this long before one evaluation and write (a rollout changes many pods at once). */
const FLUSH_MS = 50;
/** The task (this plugin, images of running workloads) that plans the scans of a cluster's running digests. */
const SCAN_CLUSTER_IMAGES_TASK = 'scan-cluster-images';
/** Least time between two requests to plan image scans (new digests arrive in bursts during a rollout). */
const IMAGE_PLAN_MS = 5_000;

/**
 * Keeps a cluster's inventory and its live checks current for as long as it runs: list, store,
 * check everything, then watch; each change updates the stored inventory and re-runs the checks
 * of what it touched, reporting each touched object's findings as a complete report settled at
 * once (FindingReport.settle `immediate`), so a fixed or deleted object's findings are resolved
 * while the task keeps running. One task per cluster: cancelling it stops the watch.
 */
export const watchClusterTask = defineTask({
  type: WATCH_CLUSTER_TASK,
  description: 'Watch a Kubernetes cluster: inventory of what runs (owner chains, running image digests) and live PSS, hardening, RBAC and NetworkPolicy checks',
  input: watchClusterInput,
  serverInputs: (input) => ({
    ...(input.kubeconfig ? { paths: [{ field: 'kubeconfig', path: input.kubeconfig }] } : {}),
    ...(input.inCluster ? { requiresSetting: 'BULKHEAD_ENABLE_CLUSTER_IN_CLUSTER' } : input.allowExec ? { requiresSetting: 'BULKHEAD_ENABLE_CLUSTER_EXEC_CREDENTIALS' } : {}),
  }),
  async run(input, ctx) {
    return new ClusterWatch(input, ctx).run();
  },
});

class ClusterWatch {
  private store: ClusterStore | undefined;
  private generation = 0;
  private pending: InventoryChange[] = [];
  private flushing: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private failure: unknown;
  private readonly stop = new AbortController();
  /** Running digests seen by this watch, and the pending request to plan their scans. */
  private readonly digests = new Set<string>();
  private imagePlan: NodeJS.Timeout | undefined;
  private plannedOnce = false;

  constructor(
    private readonly input: WatchClusterInput,
    private readonly ctx: TaskContext,
  ) {}

  async run(): Promise<{ cluster: string; objects: number; notes: number }> {
    const { input, ctx } = this;
    const connection = await connect({ ...pick(input), onServer: ctx.platform !== undefined });
    const client = new KubeApiClient(connection);
    const inventory = new ClusterInventory(client, connection.server, { ...(input.namespaces ? { namespaces: input.namespaces } : {}), logger: ctx.logger });
    const checks = new LiveChecks(inventory.objects, { cluster: input.cluster, ...(input.pss ? { pss: input.pss } : {}), ...(input.checks ? { checks: input.checks } : {}) });
    try {
      ctx.progress(0, `listing ${connection.server}`);
      if (ctx.platform) {
        this.store = new ClusterStore(ctx.platform.database, ctx.platform.team, input.cluster);
        this.generation = await this.store.begin({ server: connection.server, context: connection.context, source: connection.source, taskId: ctx.taskId });
      }
      await inventory.list(ctx.signal);
      const objects = [...inventory.objects.values()];
      await this.write(objects, [], inventory.objects);
      // Objects gone while nothing watched, and checked objects without findings now: their
      // findings from an earlier watch are resolved by empty reports.
      const stale = (await this.store?.staleTargets(this.generation)) ?? [];
      await this.store?.finishList(this.generation);
      const reports = checks.evaluate(checks.allUnits());
      const reported = new Set(reports.map((r) => r.target));
      const quiet = [...stale, ...objects.filter((o) => checks.isChecked(o)).map((o) => checks.targetOf(o))];
      await this.emit([...reports, ...[...new Set(quiet)].filter((t) => !reported.has(t)).map((target) => ({ target, findings: [] }))]);
      this.noteDigests(objects);
      await this.store?.setStatus('watching', inventory.notes, ctx.taskId);
      ctx.progress(0.5, `watching ${objects.length} objects${inventory.notes.length > 0 ? ` (partial: ${inventory.notes.length} notes)` : ''}`);

      // Stopped by the task's signal, or by a change that could not be stored (this.failure).
      ctx.signal.addEventListener('abort', () => this.stop.abort(ctx.signal.reason), { once: true });
      if (ctx.signal.aborted) this.stop.abort(ctx.signal.reason);
      await inventory.watch((change) => this.enqueue(change, checks, inventory.objects), this.stop.signal);
      clearTimeout(this.timer);
      await this.flushing;
      if (this.failure) throw this.failure;
      // Stopped by cancellation or a worker shutting down: never a success (a shutdown must
      // release the task to another worker, which lists again).
      ctx.signal.throwIfAborted();
      await this.store?.setStatus('stopped', inventory.notes, ctx.taskId);
      return { cluster: input.cluster, objects: inventory.objects.size, notes: inventory.notes.length };
    } catch (error) {
      await this.store?.setStatus(ctx.signal.aborted ? 'stopped' : 'failed', inventory.notes, ctx.taskId).catch(() => undefined);
      throw error;
    } finally {
      clearTimeout(this.timer);
      clearTimeout(this.imagePlan);
      client.close();
    }
  }

  private enqueue(change: InventoryChange, checks: LiveChecks, objects: ReadonlyMap<string, ClusterObject>): void {
    this.pending.push(change);
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const changes = this.pending;
      this.pending = [];
      this.flushing = this.flushing.then(() => this.flush(changes, checks, objects)).catch((error: unknown) => {
        // A write that fails (the database is gone) fails the task and BullMQ retries it (a
        // relist); a newer watcher of the cluster (BadInputError) ends it for good.
        this.failure ??= error;
        this.ctx.logger.error({ err: error }, 'could not store a cluster change');
        this.stop.abort(error);
      });
    }, FLUSH_MS);
  }

  private async flush(changes: readonly InventoryChange[], checks: LiveChecks, objects: ReadonlyMap<string, ClusterObject>): Promise<void> {
    if (this.failure) return; // the watch is stopping: nothing more is written
    // The last state of each object wins; an object deleted after its last upsert is deleted.
    const latest = new Map<string, { o: ClusterObject; deleted: boolean }>();
    for (const c of changes) {
      for (const o of c.upserted) latest.set(o.uid, { o, deleted: false });
      for (const o of c.deleted) latest.set(o.uid, { o, deleted: true });
    }
    // One watcher per cluster: a newer watch-cluster task of the same name (another input) took
    // over when it began; this one stops rather than write over it.
    const watcher = this.store ? await this.store.watcher() : this.ctx.taskId;
    if (this.store && watcher !== this.ctx.taskId) {
      throw new BadInputError(`cluster ${this.input.cluster} is now watched by task ${watcher ?? '(none)'}; this watch stops`);
    }
    const upserted = [...latest.values()].filter((e) => !e.deleted).map((e) => e.o);
    const deleted = [...latest.values()].filter((e) => e.deleted).map((e) => e.o);
    await this.write(upserted, deleted, objects);
    await this.emit(checks.evaluate(checks.affected({ upserted, deleted })));
    this.noteDigests(upserted);
  }

  private async write(upserted: readonly ClusterObject[], deleted: readonly ClusterObject[], objects: ReadonlyMap<string, ClusterObject>): Promise<void> {
    if (!this.store) return;
    const { cluster } = this.input;
    await this.store.delete(deleted.map((o) => o.uid));
    const workloads = upserted.filter((o) => isWorkloadKind(o.kind)).map((o) => toWorkload(cluster, o, (uid) => objects.get(uid)));
    await this.store.writeWorkloads(workloads, this.generation);
    await this.store.writeObjects(upserted.filter((o) => !isWorkloadKind(o.kind)), this.generation);
  }

  /**
   * After the first list, and whenever a pod runs a digest this watch has not seen, the images of
   * running workloads are (re)planned: the `scan-cluster-images` task of this plugin (part 4)
   * scans each digest no scan has claimed yet. At most one request per IMAGE_PLAN_MS (the
   * submitter also folds it into a planner still queued or running). A refused request (the
   * task's child bound, BULKHEAD_MAX_CHILD_TASKS) is logged; it never stops the watch.
   */
  private noteDigests(objects: readonly ClusterObject[]): void {
    const platform = this.ctx.platform;
    if (!platform) return;
    let fresh = false;
    for (const o of objects) {
      if (o.kind !== 'Pod') continue;
      for (const image of toWorkload(this.input.cluster, o, () => undefined).images) {
        if (image.digest && image.repository && !this.digests.has(image.digest)) {
          this.digests.add(image.digest);
          fresh = true;
        }
      }
    }
    if (!fresh || this.imagePlan) return;
    this.imagePlan = setTimeout(() => {
      this.imagePlan = undefined;
      platform
        .submitTask({ kind: 'benchmark', type: SCAN_CLUSTER_IMAGES_TASK, input: { cluster: this.input.cluster } })
        .catch((error: unknown) => this.ctx.logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'could not queue the scan of the running images'));
    }, this.digests.size > 0 && this.plannedOnce ? IMAGE_PLAN_MS : 0);
    this.plannedOnce = true;
  }

  private async emit(reports: readonly TargetReport[]): Promise<void> {
    if (reports.length === 0) return;
    const scoped: ScopedFindings[] = reports.map((r) => ({ findings: r.findings, report: { producer: CLUSTER_FINDING_PRODUCER, scope: r.target, settle: 'immediate' } }));
    if (this.ctx.emit.reports) await this.ctx.emit.reports(scoped);
    else for (const s of scoped) await this.ctx.emit.findings(s.findings, s.report);
  }
}

function isWorkloadKind(kind: string): boolean {
  return inventoryKind(kind)?.workload === true;
}

/** The connection fields of an input (zod output keeps optional keys absent). */
export function pick(input: { kubeconfig?: string | undefined; context?: string | undefined; inCluster?: boolean | undefined; allowExec?: boolean | undefined }): { kubeconfig?: string; context?: string; inCluster?: boolean; allowExec?: boolean } {
  return {
    ...(input.kubeconfig ? { kubeconfig: input.kubeconfig } : {}),
    ...(input.context ? { context: input.context } : {}),
    ...(input.inCluster ? { inCluster: true } : {}),
    ...(input.allowExec ? { allowExec: true } : {}),
  };
}
