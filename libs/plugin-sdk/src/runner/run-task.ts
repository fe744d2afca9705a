import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { silentLogger, type TaskLogger } from '../logger';
import type { PluginKind } from '../manifest';
import type { BulkheadPlugin } from '../plugin';
import { parseTaskInput, type PluginRegistry } from '../registry';
import type { ChildFinding, ChildTaskOutcome, ChildTaskRequest, ResultEmitter, TaskContext, TaskDefinition, TaskPlatform } from '../task';
import { declaredChildren, severityCounts } from './child-tasks';
import { CollectingEmitter } from './collecting-emitter';

export interface RunTaskRequest {
  taskId: string;
  kind: PluginKind;
  type: string;
  /** Raw input; validated against the task's schema before the handler runs. */
  input: unknown;
}

export interface RunTaskOptions {
  registry: PluginRegistry;
  emit: ResultEmitter;
  logger?: TaskLogger;
  signal?: AbortSignal;
  /** Called with a fraction in [0, 1]; throttling is the caller's concern. */
  onProgress?: (fraction: number, message?: string) => void;
  /**
   * Checks the validated input just before the task runs (the worker re-applies the server's
   * input policy here: paths may have changed since the task was queued). Throws to refuse.
   */
  checkInput?: (definition: TaskDefinition, input: unknown) => Promise<void>;
  /** Parent of the task's private scratch directory (default: the OS temp dir). */
  tmpRoot?: string;
  /**
   * The platform the task runs on (the worker gives one; inline there is none). A function is
   * called with the resolved task definition, so the platform can enforce what it declares.
   */
  platform?: TaskPlatform | ((definition: TaskDefinition) => TaskPlatform);
  /**
   * The outcomes of the children the definition declares (TaskDefinition.children), all
   * finished. The worker reads them from the child task rows; without it (inline) the runner
   * runs the children in process first.
   */
  children?: (requests: readonly ChildTaskRequest[], definition: TaskDefinition) => Promise<readonly ChildTaskOutcome[]>;
}

export interface RunTaskOutcome {
  plugin: BulkheadPlugin;
  output: unknown;
}

/**
 * Runs one plugin task: finds its handler, validates the input, gives it a context with a
 * private scratch directory (made on first use of `ctx.workDir`, always removed afterwards). The same function serves the CLI inline
 * and the worker; only the ResultEmitter differs (in memory vs persisted).
 */
export async function runTask(request: RunTaskRequest, options: RunTaskOptions): Promise<RunTaskOutcome> {
  const { plugin, definition } = options.registry.requireTask(request.kind, request.type);
  const input = parseTaskInput(definition, request.input);
  await options.checkInput?.(definition, input);
  const logger = (options.logger ?? silentLogger).child({ taskId: request.taskId, plugin: plugin.manifest.id, taskType: request.type });
  const signal = options.signal ?? new AbortController().signal;
  const requests = declaredChildren(definition, input);
  const children = definition.children ? await (options.children ? options.children(requests, definition) : runChildrenInline(requests, options)) : undefined;
  if (children && children.length !== requests.length) throw new Error(`task ${request.type}: ${requests.length} children declared, ${children.length} outcomes given`);
  // The scratch directory and the platform are made when the task first asks for them: most
  // tasks use neither, and creating and removing a directory for every task cost about 12% of
  // a worker's CPU on the lightest tasks (issue 15).
  let workDir: string | undefined;
  let platform: TaskPlatform | undefined;
  const ctx: TaskContext = {
    taskId: request.taskId,
    logger,
    signal,
    get workDir(): string {
      workDir ??= mkdtempSync(path.join(options.tmpRoot ?? tmpdir(), `bulkhead-${request.kind}-`));
      return workDir;
    },
    emit: options.emit,
    progress: (fraction, message) => {
      if (!Number.isFinite(fraction)) return;
      options.onProgress?.(Math.min(1, Math.max(0, fraction)), message);
    },
    extensions: (point) => options.registry.extensions(point),
    ...(children ? { children } : {}),
  };
  const given = options.platform;
  // Defined, not spread: a spread would call the getter.
  if (given) {
    Object.defineProperty(ctx, 'platform', {
      enumerable: true,
      get: (): TaskPlatform => (platform ??= typeof given === 'function' ? given(definition) : given),
    });
  }
  try {
    signal.throwIfAborted();
    const output = await definition.run(input, ctx);
    return { plugin, output };
  } finally {
    if (workDir !== undefined) {
      const dir = workDir;
      await rm(dir, { recursive: true, force: true }).catch((error: unknown) => logger.warn({ err: error, workDir: dir }, 'could not remove task work dir'));
    }
  }
}

/**
 * Runs a flow's children in this process, one after the other, each with its own collecting
 * emitter (the inline CLI: every plugin is loaded here). A child that throws is a FAILED
 * outcome, not a failed parent; only an abort (cancellation, shutdown) stops the flow.
 */
async function runChildrenInline(requests: readonly ChildTaskRequest[], options: RunTaskOptions): Promise<ChildTaskOutcome[]> {
  const outcomes: ChildTaskOutcome[] = [];
  for (const request of requests) {
    options.signal?.throwIfAborted();
    const emit = new CollectingEmitter();
    const taskId = randomUUID();
    const base = { kind: request.kind, type: request.type, taskId };
    try {
      const { platform: _platform, checkInput: _checkInput, onProgress: _onProgress, ...inline } = options;
      const { output } = await runTask({ taskId, kind: request.kind, type: request.type, input: request.input }, { ...inline, emit });
      const findings: ChildFinding[] = emit.findingList.map((f) => ({ ...f, fingerprint: f.fingerprint ?? '', status: 'OPEN' }));
      outcomes.push({ ...base, status: 'SUCCEEDED', output: output ?? null, findings, severityCounts: severityCounts(findings) });
    } catch (error) {
      if (options.signal?.aborted) throw error;
      const message = error instanceof Error ? error.message : String(error);
      options.logger?.warn({ childType: request.type, err: message }, 'child task failed');
      outcomes.push({ ...base, status: 'FAILED', output: null, error: message, findings: [], severityCounts: severityCounts([]) });
    }
  }
  return outcomes;
}
