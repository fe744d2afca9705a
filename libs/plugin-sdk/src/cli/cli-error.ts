/** Exit codes of every `bulkhead` command. */
export const EXIT_CODES = {
  ok: 0,
  /** The work ran and failed (bad input, failed task, unreachable service), or --exit-code asked for it. */
  failed: 1,
  /** The command line itself is wrong. */
  usage: 2,
} as const;

// `Symbol.for`: the host recognises a CliError thrown from a plugin's own copy of the SDK.
const CLI_ERROR_BRAND = Symbol.for('bulkhead.plugin-sdk.cli-error');

/** A failure whose message is for the user as it is (printed without a stack trace), with its exit code. */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly exitCode: number = EXIT_CODES.failed,
  ) {
    super(message);
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    if (this !== CliError) return Function.prototype[Symbol.hasInstance].call(this, value);
    return typeof value === 'object' && value !== null && (value as { [CLI_ERROR_BRAND]?: unknown })[CLI_ERROR_BRAND] === true;
  }
}
Object.defineProperty(CliError.prototype, CLI_ERROR_BRAND, { value: true });

/** A usage error (exit code 2): a bad option value, a missing argument. */
export function usageError(message: string): CliError {
  return new CliError(message, EXIT_CODES.usage);
}
