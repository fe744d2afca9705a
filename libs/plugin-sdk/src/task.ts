import type { z } from 'zod';
import type { ExtensionPoints } from './extensions';
import type { TaskLogger } from './logger';
import type { PluginKind } from './manifest';
import type { PluginDatabase } from './api/host';
import type { PlatformNotifier } from './notifications';
import type { PluginServices } from './services';
import type { ArtifactResult, FindingResult, OsInfo, PackageResult, Severity } from './results';

/**
 * Where a task's results go. Inline (CLI) they are collected in memory; in the worker they are
 * persisted idempotently. Plugins never write the platform's own tables: results go through here,
 * and a plugin's own tables are reached through TaskPlatform.database.
 */
export interface ResultEmitter {
  artifact(artifact: ArtifactResult): Promise<void>;
  /** Replaces the package inventory of the artifact with this digest. */
  packages(artifactDigest: string, packages: readonly PackageResult[]): Promise<void>;
  /**
   * Stores findings. With `report`, the call is a complete report over a named scope (see
   * FindingReport); without it, the task's own producer and scope apply (finding lifecycle).
   */
  findings(findings: readonly FindingResult[], report?: FindingReport): Promise<void>;
  /**
   * Many complete reports at once (each as `findings(report.findings, report.report)`), written
   * in few statements: a re-match of hundreds of images reports one scope per image. Optional
   * for emitters; a task falls back to one findings() call per report when it is absent.
   */
  reports?(reports: readonly ScopedFindings[]): Promise<void>;
}

/** The findings of one complete report (see FindingReport). */
export interface ScopedFindings {
  report: FindingReport;
  findings: readonly FindingResult[];
}

/**
 * A complete report of some findings over a scope that outlives one task type. When the task
 * succeeds, the OPEN findings of the same `producer` and `scope` that it did not report are
 * RESOLVED, whichever task reported them before. Example: the vulnerabilities of one image are
 * reported by its scan and again by every re-match after an advisory update, under producer
 * `scanner/vulnerability` and scope the image id, so a re-match resolves what no longer matches
 * and leaves the image's secrets (another producer) alone. Calling it with no findings still
 * records the scope as covered (everything there is resolved).
 */
export interface FindingReport {
  producer: string;
  scope: string;
  /**
   * Complete over these locations only (FindingResult.location): the OPEN findings of the pair
   * at one of them that the task did not report are resolved, findings elsewhere in the pair are
   * left as they are. For work that redoes part of a scope, e.g. a re-match of the packages an
   * advisory update changed (the location of a vulnerability names its package). Absent: the
   * whole pair. At most MAX_REPORT_LOCATIONS; reporting a finding outside them is an error.
   */
  locations?: readonly string[];
  /**
   * When the report settles its pair. `task-success` (default): at the task's success, as above.
   * `immediate`: the report is final as soon as it is written — in the same transaction as its
   * findings, the OPEN findings of the pair (at `locations`, when given) that it does not name
   * are RESOLVED and announced, and the pair is not recorded as covered by the task (its later
   * success or failure changes nothing). For tasks that report live state for as long as they
   * run and may never succeed, e.g. a watch over a cluster reporting each object as it changes
   * (one pair per object; an empty report when the object is deleted or fixed).
   */
  settle?: 'task-success' | 'immediate';
}

/** Most locations one FindingReport may restrict itself to. */
export const MAX_REPORT_LOCATIONS = 100_000;

/**
 * What a task gets when it runs on the platform (a worker), absent when it runs inline in the
 * CLI: the platform database (for the plugin's own tables: its migrations' tables, unqualified),
 * the team the task belongs to, and submission of follow-up tasks (recorded as its children).
 */
export interface TaskPlatform {
  readonly team: string;
  readonly database: PluginDatabase;
  /**
   * Queues a task of any loaded plugin for the same team, recorded as a child of this task;
   * returns its id. Bounded: a task may queue only so many (BULKHEAD_MAX_CHILD_TASKS, counting
   * every task it queues by either method), so a task fed hostile input cannot flood the queue.
   */
  submitTask(request: FollowUpTaskRequest): Promise<{ id: string }>;
  /**
   * Queues the same request once in every team that holds an inventory (artifacts), each as a
   * task of that team (labelled `bulkhead.io/origin-task` = this task's id; a task of another team
   * is never its child). For tasks that change data every team shares (the advisory database)
   * and leave each team to redo its own part (re-matching its images). Allowed only for the
   * (kind, type) pairs this task's definition lists in `everyTeamFollowUps`; anything else is
   * refused. Returns one entry per team, sorted by team.
   */
  submitTaskInEveryTeam(request: FollowUpTaskRequest): Promise<{ team: string; id: string }[]>;
  /** Read access to the package inventories the platform stored for this team. */
  readonly inventories: PlatformInventories;
  /**
   * Services other plugins provide (services.ts), scoped to this task's team; a service no loaded
   * plugin provides is undefined.
   */
  readonly services: PluginServices;
  /**
   * Raises a notification for this task's team (notifications.ts): the host sends it to the
   * team's channels whose rules select its category. Resolves once announced, not delivered.
   */
  notify: PlatformNotifier['notify'];
}

export interface FollowUpTaskRequest {
  kind: PluginKind;
  type: string;
  input: unknown;
  labels?: Record<string, string>;
}

/**
 * The package inventories stored for the task's team (what scans emitted), read-only: the way
 * a plugin reads the platform's own tables (they are not its to query with SQL).
 */
export interface PlatformInventories {
  /**
   * Ids of the team's artifacts that hold at least one package, ascending, after `after`
   * (exclusive), at most `limit` (1 to 10,000): page through them to plan batched work.
   */
  artifactIds(options: { after?: string; limit: number } & PackageNameFilter): Promise<string[]>;
  /**
   * The artifacts with these ids (of this team; unknown ids are left out) and their packages;
   * with `packageNames`, only the packages passing that filter (every artifact is still listed).
   */
  read(artifactIds: readonly string[], options?: PackageNameFilter): Promise<StoredInventory[]>;
}

/**
 * Narrows inventory reads to packages that may carry one of some names. A package passes when
 * foldPackageName of its name or of its source name is among the folded `packageNames`, or when
 * either holds a non-ASCII character (folding is ASCII-only, so the database and JavaScript agree
 * on it): a superset of the packages with those names under any ecosystem's own normalisation
 * (case, `-`/`_`/`.`), for the caller to filter exactly. Artifact ids: only artifacts holding
 * such a package. At most MAX_PACKAGE_NAME_FILTER names.
 */
export interface PackageNameFilter {
  packageNames?: readonly string[];
}

/** Most names one PackageNameFilter may hold. */
export const MAX_PACKAGE_NAME_FILTER = 10_000;

/** A package name as PackageNameFilter compares it: ASCII letters lowercased, each run of `-`, `_`, `.` one `-`. */
export function foldPackageName(name: string): string {
  return name.replace(/[A-Z]/g, (c) => c.toLowerCase()).replace(/[-_.]+/g, '-');
}

/** An artifact and its package inventory as stored. */
export interface StoredInventory {
  /** The artifact's row id (Image.id). */
  artifactId: string;
  /** The image id (config digest): the `target` of the artifact's findings. */
  digest: string;
  os: OsInfo | null;
  packages: StoredPackage[];
}

/** A stored package: what a scan emitted, plus its stable id (Package.id). */
export interface StoredPackage extends PackageResult {
  id: string;
}

export interface TaskContext {
  /** Id of the task row (a UUID in the platform, a random id inline). */
  readonly taskId: string;
  readonly logger: TaskLogger;
  /** Aborted when the task is cancelled or the process shuts down; long loops must check it. */
  readonly signal: AbortSignal;
  /** A private scratch directory, created when first read and removed after the task. Never write outside it. */
  readonly workDir: string;
  readonly emit: ResultEmitter;
  /** Reports progress as a fraction in [0, 1] with an optional human message. */
  progress(fraction: number, message?: string): void;
  /** Contributions of every loaded plugin to an extension point (e.g. extra scanner analyzers). */
  extensions<P extends keyof ExtensionPoints>(point: P): readonly ExtensionPoints[P][];
  /** Set on the platform (worker), undefined inline: see TaskPlatform. */
  readonly platform?: TaskPlatform;
  /**
   * The outcomes of the child tasks the definition declares (`TaskDefinition.children`), in the
   * order it declared them; every child has finished. Undefined for a task without children.
   */
  readonly children?: readonly ChildTaskOutcome[];
}

/** A child task of a flow: a task of any loaded plugin, run before its parent (TaskDefinition.children). */
export type ChildTaskRequest = FollowUpTaskRequest;

/** How a child task ended. A child that failed or was cancelled is an outcome too: the parent decides. */
export type ChildTaskStatus = 'SUCCEEDED' | 'FAILED' | 'CANCELLED';

/** A finding a child task reported, as stored (inline: as collected). */
export interface ChildFinding extends FindingResult {
  fingerprint: string;
  /** The stored finding's id on the platform (`Finding.id`); absent inline, where the fingerprint names it. */
  id?: string;
  /** SUPPRESSED when a person suppressed it on the platform; OPEN inline. */
  status: 'OPEN' | 'RESOLVED' | 'SUPPRESSED';
}

/** What a parent task reads of one finished child (TaskContext.children). */
export interface ChildTaskOutcome {
  kind: PluginKind;
  type: string;
  /** The child's task id (a platform task row; a random id inline). */
  taskId: string;
  status: ChildTaskStatus;
  /** Its returned value (the task's result) when it succeeded, else null. */
  output: unknown;
  /** Why it failed or was cancelled. */
  error?: string;
  /** The findings it reported (every finding of its complete reports and those it stored itself). */
  findings: readonly ChildFinding[];
  /** Its findings counted by severity, SUPPRESSED ones left out. */
  severityCounts: Record<Severity, number>;
}

/**
 * Most children one task may declare: a flow's children are named by plugin code, but their
 * number may follow the input, and hostile input must not flood the queues.
 */
export const MAX_FLOW_CHILDREN = 100;

export interface TaskDefinition<Schema extends z.ZodType = z.ZodType, Output = unknown> {
  /** Stable, persisted task type name, e.g. `scan-image`. Unique within a plugin kind. */
  readonly type: string;
  readonly description: string;
  /** Validated before `run`: a bad input is a clear error naming the field, never a crash. */
  readonly input: Schema;
  /** Does the work; the returned value (JSON-serialisable) is stored as the task's result. */
  run(input: z.output<Schema>, ctx: TaskContext): Promise<Output>;
  /**
   * What this input makes the task read on the machine that runs it. A server (API and worker)
   * confines it before the task is queued and again before it runs; the inline CLI applies
   * none of it. A task that reads no server-side files leaves this out.
   */
  serverInputs?(input: z.output<Schema>): ServerInputs;
  /**
   * Task types this task may queue in every team through TaskPlatform.submitTaskInEveryTeam
   * (none when absent). Declared here, by the plugin's code, never by a task's input.
   */
  readonly everyTeamFollowUps?: readonly { kind: PluginKind; type: string }[];
  /**
   * Child tasks that run before this task, as a flow: the task's `run` starts only when every
   * child has finished, and reads their outcomes in `ctx.children` (same order). On a worker the
   * children are queued as tasks of the same team (recorded as its children, each through the
   * submitter: schema, confinement) and the parent's BullMQ job waits in `waiting-children`,
   * holding no worker; inline (CLI) they run in process, one after the other. A child that
   * fails or is cancelled does not fail the parent: its outcome says so and the parent decides.
   * At most MAX_FLOW_CHILDREN.
   */
  children?(input: z.output<Schema>): readonly ChildTaskRequest[];
}

/** The server-side reach of one task input (see TaskDefinition.serverInputs). */
export interface ServerInputs {
  /**
   * Files and folders the task opens, by input field (`source`, `paths.0`). On a server each
   * must resolve, symbolic links followed, inside a folder the operator allows
   * (BULKHEAD_ALLOWED_PATHS); anything else is refused before a task is queued.
   */
  paths?: readonly ServerPathInput[];
  /**
   * Input fields the client set that only the operator may configure on a server: control
   * files with shell audits, detection rules. Any value a client gives for them is refused; the
   * task falls back to the operator's configuration.
   */
  trustedFields?: readonly string[];
  /**
   * A `BULKHEAD_ENABLE_...` setting the operator must set to `true` before a server runs this
   * task at all (e.g. tasks that inspect the worker's own node).
   */
  requiresSetting?: string;
}

export interface ServerPathInput {
  /** The input field, as in error messages (`root`, `paths.1`). */
  field: string;
  path: string;
}


/** Identity helper that keeps the input type flowing from the schema into `run`. */
export function defineTask<Schema extends z.ZodType, Output>(
  definition: TaskDefinition<Schema, Output>,
): TaskDefinition<Schema, Output> {
  return definition;
}
