/** A task's input does not match its schema. The message names every offending field. */
export class TaskInputError extends Error {
  override readonly name = 'TaskInputError';
  constructor(
    readonly taskType: string,
    readonly issues: readonly string[],
  ) {
    super(`invalid input for task ${taskType}: ${issues.join('; ')}`);
  }
}

/**
 * A failure caused by what the task was given (a corrupt archive, a missing blob, a malformed
 * rules file) rather than by a bug or an outage. Runners report it as-is and never retry it:
 * running the same input again gives the same answer.
 */
export class BadInputError extends Error {
  override readonly name = 'BadInputError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** True for errors that retrying cannot fix. */
export function isPermanentError(error: unknown): boolean {
  return error instanceof BadInputError || error instanceof TaskInputError;
}
