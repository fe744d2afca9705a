/** Where a command writes: injectable so tests capture output instead of spawning processes. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
}

export const processIo: CliIo = {
  out: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
  err: (text) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
};

/** Exit codes shared by every command. */
export const ExitCode = {
  ok: 0,
  /** The work ran and failed (bad input, failed task), or --exit-code asked for it. */
  failed: 1,
  /** The command line itself is wrong. */
  usage: 2,
} as const;

/** A failure whose message is for the user as it is (no stack trace). */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = ExitCode.failed,
  ) {
    super(message);
  }
}

export function parseFormat<F extends string>(value: string, allowed: readonly F[]): F {
  if ((allowed as readonly string[]).includes(value)) return value as F;
  throw new CliError(`unknown --format ${JSON.stringify(value)}: use one of ${allowed.join(', ')}`, ExitCode.usage);
}

export function parseExitCode(value: string): number {
  const code = Number(value);
  if (!Number.isInteger(code) || code < 0 || code > 255) throw new CliError(`--exit-code must be an integer from 0 to 255, got ${JSON.stringify(value)}`, ExitCode.usage);
  return code;
}
