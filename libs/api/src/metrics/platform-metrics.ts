import { PLUGIN_KINDS } from '@bulkhead/plugin-sdk';
import { queueNameForKind, type TaskQueues } from '@bulkhead/queue';
import { Gauge, Registry, type Metric } from 'prom-client';
import type { DataSource } from 'typeorm';

/** One sample: a histogram's carry their series name (`_bucket`, `_sum`, `_count`). */
interface MetricValue<_T extends string = string> {
  value: number;
  labels: Record<string, string | number>;
  metricName?: string;
}

/** Upper bounds (seconds) of the task latency histogram: a quick check to a long image scan. */
export const TASK_DURATION_BUCKETS = [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600] as const;

/** BullMQ states reported as `bulkhead_queue_jobs{queue,state}`. */
const QUEUE_STATES = ['waiting', 'prioritized', 'active', 'delayed', 'waiting-children', 'failed'] as const;

/**
 * The platform's Prometheus metrics, read at scrape time from where the truth already is: job
 * counts from BullMQ (Redis) and task / finding counts from Postgres. Nothing is counted in
 * process memory, so every API replica answers the same figures and the worker (which has no
 * HTTP port) needs none of its own: what it did is in the task and finding rows.
 *
 * Counters are cumulative row counts (`rate()` gives per-second figures); the task latency
 * histogram is built from `finished_at - started_at` of finished tasks. Labels carry plugin
 * kinds, task types and runtime rule ids, never a team, an image or a task id.
 */
export class PlatformMetrics {
  readonly registry = new Registry();

  constructor(
    private readonly dataSource: DataSource,
    private readonly queues: TaskQueues,
  ) {
    // Gauge's collect runs with the gauge as `this`: the queues come from this closure.
    const taskQueues = this.queues;
    new Gauge({
      name: 'bulkhead_queue_jobs',
      help: 'Jobs in each BullMQ task queue by state.',
      labelNames: ['queue', 'state'],
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const kind of PLUGIN_KINDS) {
          const counts = await taskQueues.queue(kind).getJobCounts(...QUEUE_STATES);
          for (const state of QUEUE_STATES) this.set({ queue: queueNameForKind(kind), state }, counts[state] ?? 0);
        }
      },
    });
    new Gauge({
      name: 'bulkhead_queue_oldest_waiting_age_seconds',
      help: 'Age of the oldest job waiting in each task queue (0 when none waits).',
      labelNames: ['queue'],
      registers: [this.registry],
      async collect() {
        this.reset();
        const now = Date.now();
        for (const kind of PLUGIN_KINDS) {
          // asc = true: the oldest waiting job first (one job per state read, whatever the queue
          // length). Tasks are queued without priorities, so `prioritized` is normally empty.
          const oldest = await taskQueues.queue(kind).getJobs(['waiting', 'prioritized'], 0, 0, true);
          const timestamps = oldest.filter((job) => job !== undefined && job !== null).map((job) => job.timestamp);
          const age = timestamps.length > 0 ? Math.max(0, (now - Math.min(...timestamps)) / 1000) : 0;
          this.set({ queue: queueNameForKind(kind) }, age);
        }
      },
    });
    this.register(new StaticMetric('bulkhead_tasks_total', 'counter', 'Tasks that reached a final state, by plugin kind, task type and status.', () => this.finishedTasks()));
    this.register(new StaticMetric('bulkhead_task_failures_total', 'counter', 'Tasks that ended FAILED, by plugin kind and task type.', () => this.failedTasks()));
    this.register(new StaticMetric('bulkhead_task_duration_seconds', 'histogram', 'Run time of finished tasks (started to finished), by plugin kind and task type.', () => this.taskDurations()));
    this.register(new StaticMetric('bulkhead_findings_total', 'counter', 'Findings ever recorded (first seen), by plugin kind; rate() gives findings (runtime: events) per second.', () => this.findings()));
    this.register(new StaticMetric('bulkhead_runtime_alerts_total', 'counter', 'Runtime alerts recorded, by rule.', () => this.runtimeAlerts()));
  }

  private register(metric: StaticMetric): void {
    // prom-client formats any object with name, help, type and get(); its typings want its own classes.
    this.registry.registerMetric(metric as unknown as Metric);
  }

  /** The exposition text and its content type. */
  async scrape(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  private async finishedTasks(): Promise<MetricValue<string>[]> {
    const rows: { kind: string; type: string; status: string; n: string }[] = await this.dataSource.query(
      `SELECT "kind", "type", "status"::text AS "status", count(*) AS "n" FROM "task" WHERE "status" IN ('SUCCEEDED', 'FAILED', 'CANCELLED') GROUP BY 1, 2, 3`,
    );
    return rows.map((row) => ({ labels: { kind: row.kind, type: row.type, status: row.status }, value: Number(row.n) }));
  }

  private async failedTasks(): Promise<MetricValue<string>[]> {
    const rows: { kind: string; type: string; n: string }[] = await this.dataSource.query(`SELECT "kind", "type", count(*) AS "n" FROM "task" WHERE "status" = 'FAILED' GROUP BY 1, 2`);
    return rows.map((row) => ({ labels: { kind: row.kind, type: row.type }, value: Number(row.n) }));
  }

  private async taskDurations(): Promise<MetricValue<string>[]> {
    // One pass: per (kind, type) the count under each bound, the total count and the sum.
    const bucketColumns = TASK_DURATION_BUCKETS.map((le, i) => `count(*) FILTER (WHERE d <= ${le}) AS "b${i}"`).join(', ');
    const rows: Record<string, string>[] = await this.dataSource.query(
      `SELECT "kind", "type", ${bucketColumns}, count(*) AS "n", coalesce(sum(d), 0) AS "s"
         FROM (SELECT "kind", "type", extract(epoch FROM ("finished_at" - "started_at"))::float8 AS d
                 FROM "task" WHERE "finished_at" IS NOT NULL AND "started_at" IS NOT NULL AND "status" IN ('SUCCEEDED', 'FAILED', 'CANCELLED')) AS t
        GROUP BY 1, 2`,
    );
    const values: MetricValue<string>[] = [];
    for (const row of rows) {
      const labels = { kind: row['kind'] as string, type: row['type'] as string };
      TASK_DURATION_BUCKETS.forEach((le, i) => values.push({ metricName: 'bulkhead_task_duration_seconds_bucket', labels: { ...labels, le }, value: Number(row[`b${i}`]) }));
      values.push({ metricName: 'bulkhead_task_duration_seconds_bucket', labels: { ...labels, le: '+Inf' }, value: Number(row['n']) });
      values.push({ metricName: 'bulkhead_task_duration_seconds_sum', labels, value: Number(row['s']) });
      values.push({ metricName: 'bulkhead_task_duration_seconds_count', labels, value: Number(row['n']) });
    }
    return values;
  }

  private async findings(): Promise<MetricValue<string>[]> {
    const rows: { kind: string; n: string }[] = await this.dataSource.query(`SELECT "kind", count(*) AS "n" FROM "finding" GROUP BY 1`);
    return rows.map((row) => ({ labels: { kind: row.kind }, value: Number(row.n) }));
  }

  private async runtimeAlerts(): Promise<MetricValue<string>[]> {
    // The partial index IDX_finding_runtime_rule covers this (kind = 'runtime', by rule_id).
    const rows: { rule: string; n: string }[] = await this.dataSource.query(`SELECT "rule_id" AS "rule", count(*) AS "n" FROM "finding" WHERE "kind" = 'runtime' GROUP BY 1`);
    return rows.map((row) => ({ labels: { rule: row.rule }, value: Number(row.n) }));
  }
}

/**
 * A metric whose values are read whole at scrape time (from SQL aggregates) rather than
 * observed one by one: prom-client's Counter and Histogram can only be incremented, which would
 * need the events in this process.
 */
class StaticMetric {
  readonly aggregator = 'first' as const;

  constructor(
    readonly name: string,
    readonly type: 'counter' | 'histogram',
    readonly help: string,
    private readonly read: () => Promise<MetricValue<string>[]>,
  ) {}

  async get(): Promise<{ name: string; help: string; type: string; aggregator: 'first'; values: MetricValue<string>[] }> {
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values: await this.read() };
  }

  collect(): void {
    // Values are read in get().
  }

  reset(): void {
    // Nothing kept between scrapes.
  }
}
