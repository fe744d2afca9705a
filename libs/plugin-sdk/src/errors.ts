/**
 * Errors that mean "the input is wrong", recognised across copies of the SDK.
 *
 * A plugin installed from npm may bundle its own copy of `@bulkhead/plugin-sdk`, so a
 * `BadInputError` it throws is an instance of *its* class, not the host's: a plain `instanceof`
 * in the host would be false and the worker would retry a task that can never succeed. Each
 * error therefore carries a stable `code`, and a brand under a `Symbol.for` key (global to the
 * process, shared by every copy). `isPermanentError` reads the brand, and `instanceof` is
 * answered from it too (`Symbol.hasInstance`), so `@Catch(BadInputError)` filters in Nest and
 * `error instanceof TaskInputError` checks in the host still work for a plugin's copy.
 */

/** The property every copy of the SDK brands its errors with; its value is the error code. */
const ERROR_BRAND = Symbol.for('bulkhead.plugin-sdk.error-code');

export const ERROR_CODES = {
  badInput: 'BULKHEAD_BAD_INPUT',
  taskInput: 'BULKHEAD_TASK_INPUT',
} as const;
export type BulkheadErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES];

/** The SDK error code of any value (from any copy of the SDK), or undefined. */
export function bulkheadErrorCode(value: unknown): BulkheadErrorCode | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const code = (value as { [ERROR_BRAND]?: unknown })[ERROR_BRAND];
  return Object.values(ERROR_CODES).includes(code as BulkheadErrorCode) ? (code as BulkheadErrorCode) : undefined;
}

/**
 * `instanceof` for a branded class: the class itself matches any error with its code, whichever
 * SDK copy made it; a subclass keeps the ordinary prototype check (its own code is not branded).
 */
function brandedInstanceCheck(cls: abstract new (...args: never[]) => unknown, base: unknown, code: BulkheadErrorCode, value: unknown): boolean {
  if (cls !== base) return Function.prototype[Symbol.hasInstance].call(cls, value);
  return bulkheadErrorCode(value) === code;
}

/** A task's input does not match its schema. The message names every offending field. */
export class TaskInputError extends Error {
  override readonly name = 'TaskInputError';
  readonly code = ERROR_CODES.taskInput;
  constructor(
    readonly taskType: string,
    readonly issues: readonly string[],
  ) {
    super(`invalid input for task ${taskType}: ${issues.join('; ')}`);
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return brandedInstanceCheck(this, TaskInputError, ERROR_CODES.taskInput, value);
  }
}

/**
 * A failure caused by what the task was given (a corrupt archive, a missing blob, a malformed
 * rules file) rather than by a bug or an outage. Runners report it as-is and never retry it:
 * running the same input again gives the same answer.
 */
export class BadInputError extends Error {
  override readonly name = 'BadInputError';
  readonly code = ERROR_CODES.badInput;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return brandedInstanceCheck(this, BadInputError, ERROR_CODES.badInput, value);
  }
}

// On the prototypes (not enumerable, not serialised), so subclasses inherit the brand.
Object.defineProperty(TaskInputError.prototype, ERROR_BRAND, { value: ERROR_CODES.taskInput });
Object.defineProperty(BadInputError.prototype, ERROR_BRAND, { value: ERROR_CODES.badInput });

/** True for errors that retrying cannot fix, from this or any other copy of the SDK. */
export function isPermanentError(error: unknown): boolean {
  return bulkheadErrorCode(error) !== undefined;
}
