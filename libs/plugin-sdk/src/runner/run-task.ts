import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { silentLogger, type TaskLogger } from '../logger';
import type { PluginKind } from '../manifest';
import type { BulkheadPlugin } from '../plugin';
import { parseTaskInput, type PluginRegistry } from '../registry';
import type { ResultEmitter, TaskContext, TaskDefinition, TaskPlatform } from '../task';

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
}

export interface RunTaskOutcome {
  plugin: BulkheadPlugin;
  output: unknown;
}

/**
 * Runs one plugin task: finds its handler, validates the input, gives it a private scratch
 * directory (always removed afterwards) and a context. The same function serves the CLI inline
 * and the worker; only the ResultEmitter differs (in memory vs persisted).
 */
export async function runTask(request: RunTaskRequest, options: RunTaskOptions): Promise<RunTaskOutcome> {
  const { plugin, definition } = options.registry.requireTask(request.kind, request.type);
  const input = parseTaskInput(definition, request.input);
  await options.checkInput?.(definition, input);
  const logger = (options.logger ?? silentLogger).child({ taskId: request.taskId, plugin: plugin.manifest.id, taskType: request.type });
  const signal = options.signal ?? new AbortController().signal;
  const workDir = await mkdtemp(path.join(options.tmpRoot ?? tmpdir(), `bulkhead-${request.kind}-`));
  const ctx: TaskContext = {
    taskId: request.taskId,
    logger,
    signal,
    workDir,
    emit: options.emit,
    progress: (fraction, message) => {
      if (!Number.isFinite(fraction)) return;
      options.onProgress?.(Math.min(1, Math.max(0, fraction)), message);
    },
    extensions: (point) => options.registry.extensions(point),
    ...(options.platform ? { platform: typeof options.platform === 'function' ? options.platform(definition) : options.platform } : {}),
  };
  try {
    signal.throwIfAborted();
    const output = await definition.run(input, ctx);
    return { plugin, output };
  } finally {
    await rm(workDir, { recursive: true, force: true }).catch((error: unknown) => logger.warn({ err: error, workDir }, 'could not remove task work dir'));
  }
}
