import { randomUUID } from 'node:crypto';
import type { BulkheadPlugin } from '../plugin';
import { PluginRegistry } from '../registry';
import { CollectingEmitter, type CollectedResults } from '../runner/collecting-emitter';
import { runTask } from '../runner/run-task';
import { RecordingLogger, type LogRecord } from './recording-logger';

export interface RunPluginTaskOptions {
  /**
   * Other plugins loaded beside this one, for their extension contributions (e.g. the plugin
   * that owns the task, when `plugin` only contributes an analyzer to it).
   */
  plugins?: readonly BulkheadPlugin[];
  /** Abort it to test cancellation; the task sees it as `ctx.signal`. */
  signal?: AbortSignal;
  /** Parent of the task's scratch directory (`ctx.workDir`, removed afterwards); default: the OS temp dir. */
  tmpRoot?: string;
  taskId?: string;
}

/** What one run of a task produced: its output and everything it emitted, in memory. */
export interface PluginTaskRun<Output = unknown> extends CollectedResults {
  output: Output;
  /** Every `ctx.progress` call, clamped to [0, 1] as the platform does. */
  progress: { fraction: number; message?: string }[];
  /** Every log call on `ctx.logger` (and its children). */
  logs: LogRecord[];
}

/**
 * Runs one task of a plugin exactly as the platform does (same runner as the worker and the CLI:
 * input validated against the task's schema, a private scratch directory removed afterwards, an
 * AbortSignal, extension points of the loaded plugins) and collects what it emits, so a plugin
 * is testable with plain Jest, outside this repository:
 *
 * ```ts
 * const run = await runPluginTask(plugin, 'find-secrets', { paths: ['/etc'] });
 * expect(run.findings).toHaveLength(1);
 * await expect(runPluginTask(plugin, 'find-secrets', { paths: [] })).rejects.toThrow(/paths/);
 * ```
 *
 * Rejects with the task's error (a `TaskInputError` naming each bad field for invalid input).
 */
export async function runPluginTask<Output = unknown>(
  plugin: BulkheadPlugin,
  taskType: string,
  input: unknown,
  options: RunPluginTaskOptions = {},
): Promise<PluginTaskRun<Output>> {
  const registry = new PluginRegistry([plugin, ...(options.plugins ?? [])]);
  const kind = plugin.manifest.kind;
  const owner = registry.findTask(kind, taskType) ? kind : options.plugins?.find((p) => p.tasks.some((t) => t.type === taskType))?.manifest.kind;
  const emit = new CollectingEmitter();
  const logger = new RecordingLogger();
  const progress: PluginTaskRun['progress'] = [];
  const { output } = await runTask(
    { taskId: options.taskId ?? randomUUID(), kind: owner ?? kind, type: taskType, input },
    {
      registry,
      emit,
      logger,
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.tmpRoot ? { tmpRoot: options.tmpRoot } : {}),
      onProgress: (fraction, message) => progress.push(message === undefined ? { fraction } : { fraction, message }),
    },
  );
  return { output: output as Output, ...emit.results(), progress, logs: logger.records };
}
