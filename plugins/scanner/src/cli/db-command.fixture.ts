import { Command } from 'commander';
import { CliError, type CliHost } from '@bulkhead/plugin-sdk/cli';
import { registerDb } from './cli-entry';

/** What a `bulkhead db …` run printed and the exit code it asked for (undefined: none). */
export interface DbRun {
  code: number | undefined;
  out: string;
  err: string;
}

/**
 * Runs `bulkhead db <args>` through commander, in process, with a host that records output and
 * the exit code (a CliError becomes its message on stderr and its exit code), for tests.
 */
export async function runDbCommand(...args: string[]): Promise<DbRun> {
  const run: DbRun = { code: undefined, out: '', err: '' };
  const host = {
    out: (t: string) => void (run.out += `${t}\n`),
    err: (t: string) => void (run.err += `${t}\n`),
    exit: (code: number) => void (run.code = code),
    interruptible: <T>(work: (signal: AbortSignal) => Promise<T>) => work(new AbortController().signal),
    progressPrinter: () => () => undefined,
  } as unknown as CliHost;
  const command = new Command('db').exitOverride().configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
  registerDb(command, host);
  try {
    await command.parseAsync(args, { from: 'user' });
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    run.err += `${error.message}\n`;
    run.code = error.exitCode;
  }
  return run;
}
