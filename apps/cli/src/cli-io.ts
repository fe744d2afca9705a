import { CliError, EXIT_CODES } from '@bulkhead/plugin-sdk/cli';

/** Where a command writes: injectable so tests capture output instead of spawning processes. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** Informational lines on standard error, which --quiet drops (err when absent). */
  info?(text: string): void;
}

/** An informational line: `io.info` (dropped under --quiet) where the io has one, else stderr. */
export function printNotice(io: CliIo, text: string): void {
  if (io.info) io.info(text);
  else io.err(text);
}

export const processIo: CliIo = {
  out: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
  err: (text) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
};

/** Exit codes shared by every command (the SDK's, which plugin commands use too). */
export const ExitCode = EXIT_CODES;

/** A failure whose message is for the user as it is (no stack trace); plugins throw the same class. */
export { CliError };
