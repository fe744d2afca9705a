import type { z } from 'zod';
import type { ExtensionPoints } from './extensions';
import type { TaskLogger } from './logger';
import type { ArtifactResult, FindingResult, PackageResult } from './results';

/**
 * Where a task's results go. Inline (CLI) they are collected in memory; in the worker they are
 * persisted idempotently. Plugins never talk to Postgres or Redis themselves.
 */
export interface ResultEmitter {
  artifact(artifact: ArtifactResult): Promise<void>;
  /** Replaces the package inventory of the artifact with this digest. */
  packages(artifactDigest: string, packages: readonly PackageResult[]): Promise<void>;
  findings(findings: readonly FindingResult[]): Promise<void>;
}

export interface TaskContext {
  /** Id of the task row (a UUID in the platform, a random id inline). */
  readonly taskId: string;
  readonly logger: TaskLogger;
  /** Aborted when the task is cancelled or the process shuts down; long loops must check it. */
  readonly signal: AbortSignal;
  /** A private scratch directory, removed after the task. Never write outside it. */
  readonly workDir: string;
  readonly emit: ResultEmitter;
  /** Reports progress as a fraction in [0, 1] with an optional human message. */
  progress(fraction: number, message?: string): void;
  /** Contributions of every loaded plugin to an extension point (e.g. extra scanner analyzers). */
  extensions<P extends keyof ExtensionPoints>(point: P): readonly ExtensionPoints[P][];
}

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
