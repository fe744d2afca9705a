import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { startPrivatePostgres, type PrivatePostgres } from '../private-postgres';
import { buildTinyImage } from '../tiny-image';
import { flushPrefix, restartPostgres, WorkerChaos } from './faults';
import { Ledger, type LedgerFigures } from './ledger';
import { createApiToken, startApi, type CompiledPlatform, type PlatformEnv, type PlatformProcess } from './processes';
import { submitAll } from './workload';

export interface ReliabilityOptions {
  compiled: CompiledPlatform;
  redisUrl: string;
  /** Tasks submitted (the issue's figure: 1,000). */
  tasks: number;
  /** Worker processes running at any time. */
  workers?: number;
  /** WORKER_CONCURRENCY_RUNTIME of each worker. */
  workerConcurrency?: number;
  /** Submissions in flight. */
  submitConcurrency?: number;
  /** false: the same run without any fault (the baseline). */
  faults?: boolean;
  /** A worker is SIGKILLed (and replaced) this often. */
  killEveryMs?: number;
  /** How long Postgres stays down in its restart. */
  postgresDownMs?: number;
  /**
   * Submissions are spread over at least this long (default 0: as fast as the API accepts), so
   * that a fast platform still meets the faults: kills every few seconds need a run that lasts.
   */
  minDurationMs?: number;
  /** Everything (submission and every task finishing) must be done within this. */
  timeoutMs?: number;
  log?: (line: string) => void;
}

export interface FaultFigure {
  fault: 'redis-flush' | 'postgres-restart';
  /** Milliseconds since the first submission. */
  at: number;
  /** Tasks unfinished (queued or running) when the fault struck. */
  inFlight: number;
  /** Redis keys deleted, for a flush. */
  keysDeleted?: number;
  /** From the fault's end to the first task succeeding afterwards. */
  firstSuccessAfterMs?: number;
  /** From the fault's end until every task that was unfinished at the fault had succeeded. */
  inFlightDoneAfterMs?: number;
}

export interface ReliabilityReport {
  pass: boolean;
  failures: string[];
  tasks: number;
  accepted: number;
  /** First submission to the last task succeeding. */
  durationMs: number;
  tasksPerSecond: number;
  kills: number;
  /** Kills due but skipped because no worker was taking jobs yet (replacements still loading). */
  killsSpared: number;
  workersStarted: number;
  /** Workers that exited while starting (they refuse to start while Postgres is down) and were started again. */
  workerStartFailures: number;
  faults: FaultFigure[];
  submitRetries: Record<string, number>;
  submitP95Ms: number;
  /** From a task's row being written to its success: median and 95th percentile. */
  taskP50Ms: number;
  taskP95Ms: number;
  ledger: LedgerFigures | undefined;
  /** Worker log lines about recovery (reconciler, retries, duplicate deliveries), summed over every worker. */
  recoveryLogs: Record<string, number>;
}

/** The worker log lines worth reporting: each is a recovery path taken. */
const RECOVERY_MESSAGES = [
  'job missing from Redis: re-enqueued',
  'job finished but task unfinished: re-enqueued',
  'job failed without the task being recorded: marked FAILED',
  'task attempt failed: will retry',
  'task failed',
  'task already finished: duplicate delivery ignored',
  'task left RUNNING while it ran: result not recorded',
  'queue worker error',
  'reconcile pass failed',
  'job failed as stalled after worker deaths: re-enqueued',
  'job stalled on every start: marked FAILED',
];

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? 0;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The reliability suite (issue 11): a private Postgres, the real API and worker processes, `tasks`
 * tasks submitted through GraphQL while workers are SIGKILLed every few seconds, the run's Redis
 * prefix is flushed (a third of the way) and Postgres is restarted (two thirds); then every
 * accepted task must have become SUCCEEDED exactly once, with no duplicate rows. Returns PASS/FAIL
 * with the reasons and the figures; cleans up everything it started.
 */
export async function runReliabilitySuite(options: ReliabilityOptions): Promise<ReliabilityReport> {
  const log = options.log ?? (() => undefined);
  const faults = options.faults ?? true;
  const runId = randomBytes(4).toString('hex');
  const prefix = `bhrel-${runId}`;
  const timeoutMs = options.timeoutMs ?? 15 * 60_000;
  const failures: string[] = [];
  let postgres: PrivatePostgres | undefined;
  let ledger: Ledger | undefined;
  let api: PlatformProcess | undefined;
  let chaos: WorkerChaos | undefined;
  try {
    postgres = await startPrivatePostgres({ label: 'reliability' });
    log(`private Postgres on port ${postgres.port}; Redis prefix ${prefix}`);
    const platform: PlatformEnv = { DATABASE_URL: postgres.url, DATABASE_SCHEMA: 'bulkhead', REDIS_URL: options.redisUrl, BULKHEAD_QUEUE_PREFIX: prefix };
    // The scan tasks read the tiny test image: the one folder the server allows task paths in.
    const tinyDir = await buildTinyImage();
    const serverPaths = { BULKHEAD_ALLOWED_PATHS: tinyDir };
    const token = await createApiToken(options.compiled, platform, 'default', 'operator');
    ledger = await Ledger.open(postgres.url, 'bulkhead');
    await ledger.install();
    const started = await startApi(options.compiled, platform, { ...serverPaths, LOG_LEVEL: 'warn', BULKHEAD_RATE_LIMIT: '0', BULKHEAD_MAX_QUEUED_TASKS_PER_TOKEN: '0' });
    api = started.process;
    chaos = new WorkerChaos(options.compiled, platform, {
      ...serverPaths,
      WORKER_CONCURRENCY_RUNTIME: String(options.workerConcurrency ?? 4),
      // A killed worker's jobs come back once their lock lapses; the reconciler re-adds lost jobs.
      WORKER_LOCK_DURATION_MS: '10000',
      WORKER_STALLED_INTERVAL_MS: '5000',
      WORKER_RECONCILE_INTERVAL_MS: '5000',
      WORKER_SHUTDOWN_GRACE_MS: '1000',
      WORKER_MIGRATE: 'false',
    });
    await Promise.all(Array.from({ length: options.workers ?? 3 }, () => chaos?.startOne()));
    log(`API and ${chaos.live.length} workers ready; submitting ${options.tasks} tasks`);

    const t0 = Date.now();
    const deadline = t0 + timeoutMs;
    if (faults) chaos.start(options.killEveryMs ?? 3_000);
    const faultFigures: (FaultFigure & { end: number; unfinished: string[] })[] = [];
    let submitting = true;
    let acceptedSoFar = 0;
    const tinyOciLayout = path.join(tinyDir, 'oci');
    const submission = submitAll({ url: started.url, token, runId, count: options.tasks, concurrency: options.submitConcurrency ?? 8, deadline, tinyOciLayout, paceMs: (options.minDurationMs ?? 0) / options.tasks, onAccepted: () => acceptedSoFar++ }).finally(
      () => (submitting = false),
    );
    submission.catch(() => undefined);

    const unfinishedIds = async (): Promise<string[]> => (await ledger?.unfinishedTaskIds()) ?? [];
    const strike = async (fault: FaultFigure['fault']): Promise<void> => {
      const unfinished = await unfinishedIds();
      const at = Date.now() - t0;
      chaos?.note(`${fault} starts`);
      let keysDeleted: number | undefined;
      if (fault === 'redis-flush') keysDeleted = await flushPrefix(options.redisUrl, prefix);
      else await restartPostgres(postgres as PrivatePostgres, options.postgresDownMs ?? 3_000);
      chaos?.note(`${fault} done`);
      log(`${fault} at ${(at / 1000).toFixed(1)} s with ${unfinished.length} tasks unfinished${keysDeleted === undefined ? '' : `, ${keysDeleted} keys deleted`}`);
      faultFigures.push({ fault, at, inFlight: unfinished.length, ...(keysDeleted === undefined ? {} : { keysDeleted }), end: Date.now(), unfinished });
    };

    // Faults strike by progress (a third and two thirds of the tasks accepted), so they land
    // mid-run whatever the machine's speed, and when tasks are in flight (else within 5 s).
    let lastLog = 0;
    let dueSince: number | undefined;
    for (;;) {
      if (!api.running) throw new Error(`the API exited during the run (${JSON.stringify(api.exit)}):\n${api.stderr.slice(-3000)}`);
      const counts = await ledger.statusCounts();
      if (faults && counts && faultFigures.length < 2 && acceptedSoFar >= ((faultFigures.length + 1) * options.tasks) / 3) {
        dueSince ??= Date.now();
        if ((counts['QUEUED'] ?? 0) + (counts['RUNNING'] ?? 0) > 0 || Date.now() - dueSince > 5_000) {
          await strike(faultFigures.length === 0 ? 'redis-flush' : 'postgres-restart');
          dueSince = undefined;
        }
      }
      if (Date.now() - lastLog > 10_000 && counts) {
        lastLog = Date.now();
        log(`${((Date.now() - t0) / 1000).toFixed(0)} s: ${JSON.stringify(counts)}, ${chaos.kills} kills`);
      }
      if (!submitting && counts && (counts['QUEUED'] ?? 0) + (counts['RUNNING'] ?? 0) === 0) break;
      if (Date.now() > deadline) {
        failures.push(`not finished within ${timeoutMs / 1000} s: ${JSON.stringify(counts)}`);
        break;
      }
      await sleep(250);
    }
    const submitted = await submission.catch((error: unknown) => {
      failures.push(`submission failed: ${(error as Error).message}`);
      return undefined;
    });
    await chaos.stop();
    if (faults && faultFigures.length < 2) failures.push(`only ${faultFigures.length} of the 2 faults struck (the run ended first)`);
    for (const crashed of chaos.crashed()) failures.push(`${crashed.name} exited on its own (${JSON.stringify(crashed.exit)}): ${crashed.stderr.slice(-1500)}`);
    if (!api.running) failures.push(`the API exited (${JSON.stringify(api.exit)})`);

    const accepted = submitted?.accepted ?? new Map<number, string>();
    const verified = await ledger.verify(accepted);
    failures.push(...verified.failures);
    const successes = await ledger.successTimes([...accepted.values()]);
    const last = successes.at(-1) ?? Date.now();
    const figures = faultFigures.map(({ end, unfinished, ...figure }) => {
      const after = successes.find((t) => t > end);
      return { ...figure, ...(after === undefined ? {} : { firstSuccessAfterMs: after - end }) , unfinished, end };
    });
    for (const figure of figures) {
      const times = await ledger.successTimes(figure.unfinished);
      const lastOfThem = times.at(-1);
      if (lastOfThem !== undefined) (figure as FaultFigure).inFlightDoneAfterMs = Math.max(0, lastOfThem - figure.end);
    }
    const latencies = await ledger.latencies([...accepted.values()]);
    const messages = chaos.messages();
    const durationMs = last - t0;
    return {
      pass: failures.length === 0,
      failures,
      tasks: options.tasks,
      accepted: accepted.size,
      durationMs,
      tasksPerSecond: accepted.size / (durationMs / 1000),
      kills: chaos.kills,
      killsSpared: chaos.sparedKills,
      workersStarted: chaos.all.length,
      workerStartFailures: chaos.failedStarts,
      faults: figures.map(({ unfinished: _u, end: _e, ...figure }) => figure),
      submitRetries: submitted?.retries ?? {},
      submitP95Ms: percentile(submitted?.latencies ?? [], 95),
      taskP50Ms: percentile(latencies, 50),
      taskP95Ms: percentile(latencies, 95),
      ledger: verified.figures,
      recoveryLogs: Object.fromEntries(RECOVERY_MESSAGES.map((m) => [m, messages.get(m) ?? 0]).filter(([, n]) => Number(n) > 0)),
    };
  } finally {
    await chaos?.killAll().catch(() => undefined);
    if (api?.running) {
      api.kill('SIGKILL');
      await api.exited;
    }
    await ledger?.close();
    await flushPrefix(options.redisUrl, prefix).catch(() => undefined);
    await postgres?.dispose();
  }
}
