import { randomUUID } from 'node:crypto';
import type { CliHost, InlineTaskOutcome } from '@bulkhead/plugin-sdk/cli';
import { CliError, type CliIo } from '../cli-io';
import { cliRegistry } from '../registry';
import { GraphqlClient } from '../remote/graphql-client';
import { CommandOutput } from './command-output';

/**
 * The services `bulkhead` gives every command, its own and the plugins': output, inline task
 * runs (the worker's runner with an in-memory emitter), progress, Ctrl-C, a client of a running
 * API (authenticated with `token()`: --token or BULKHEAD_TOKEN), and the exit code (`done`).
 */
export function createCliHost(output: CommandOutput | CliIo, done: (code: number) => void, token: () => string | undefined = () => process.env['BULKHEAD_TOKEN']): CliHost {
  const io = output instanceof CommandOutput ? output : new CommandOutput(output);
  return {
    out: (text) => io.out(text),
    err: (text) => io.err(text),
    info: (text) => io.info(text),
    exit: (code) => done(code),
    async runTask(kind, type, input, options = {}): Promise<InlineTaskOutcome> {
      // Loaded here, not at start-up: the SDK's main entry (zod, the runner) costs `--help` ~0.2 s.
      const { CollectingEmitter, runTask } = await import('@bulkhead/plugin-sdk');
      const emit = new CollectingEmitter();
      const { output } = await runTask(
        { taskId: randomUUID(), kind, type, input },
        {
          registry: cliRegistry(options.plugins),
          emit,
          ...(options.signal ? { signal: options.signal } : {}),
          ...(options.onProgress ? { onProgress: options.onProgress } : {}),
        },
      );
      return { output, ...emit.results() };
    },
    progressPrinter: () => io.progressPrinter(),
    async interruptible(work) {
      const controller = new AbortController();
      const onSignal = () => controller.abort(new CliError('interrupted'));
      process.once('SIGINT', onSignal);
      try {
        return await work(controller.signal);
      } finally {
        process.removeListener('SIGINT', onSignal);
      }
    },
    server: (url) => new GraphqlClient(url, token()),
  };
}
