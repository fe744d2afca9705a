import type { TaskLogger, TaskPlatform } from '@bulkhead/plugin-sdk';
import { SCAN_CLUSTER_IMAGES } from './images-tasks';
import type { Workload } from './model';

/**
 * Asks for the scans of a watched cluster's running images: when the watch writes workloads
 * running a digest it has not seen yet, it queues `scan-cluster-images` for the cluster (the
 * planner claims only digests no scan has claimed, so asking again is cheap). At most once per
 * `minIntervalMs` (a rollout brings many pods; the planner's deduplication absorbs requests while
 * one is queued), and never failing the watch: a refused or failed submission is logged and tried
 * with the next new digest.
 */
export class ImageScanTrigger {
  private readonly known = new Set<string>();
  private due = false;
  private lastSubmit = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly platform: Pick<TaskPlatform, 'submitTask'>,
    private readonly cluster: string,
    private readonly logger: TaskLogger,
    private readonly minIntervalMs = 60_000,
  ) {}

  observe(workloads: readonly Pick<Workload, 'images'>[]): void {
    for (const workload of workloads) {
      for (const image of workload.images) {
        if (image.digest && image.repository && !this.known.has(image.digest)) {
          this.known.add(image.digest);
          this.due = true;
        }
      }
    }
    if (!this.due || this.timer) return;
    const wait = Math.max(0, this.lastSubmit + this.minIntervalMs - Date.now());
    this.timer = setTimeout(() => void this.submit(), wait);
  }

  close(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private async submit(): Promise<void> {
    this.timer = undefined;
    this.due = false;
    this.lastSubmit = Date.now();
    try {
      await this.platform.submitTask({ kind: 'benchmark', type: SCAN_CLUSTER_IMAGES, input: { cluster: this.cluster } });
    } catch (error) {
      this.logger.warn({ err: error, cluster: this.cluster }, 'could not queue the scans of new running images');
    }
  }
}
