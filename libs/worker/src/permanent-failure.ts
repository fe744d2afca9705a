import { isPermanentError } from '@bulkhead/plugin-sdk';

/**
 * Errors of the file system that the task's input causes (a path that does not exist, is not a
 * directory, cannot be read, loops): another attempt would fail the same way.
 */
const INPUT_PATH_ERRORS = new Set(['ENOENT', 'ENOTDIR', 'EISDIR', 'EACCES', 'EPERM', 'ELOOP', 'ENAMETOOLONG']);

/**
 * A failure not worth retrying: the SDK's input errors (BadInputError, TaskInputError, from any
 * plugin's copy of the SDK) and file-system errors about a path the input named. Anything else
 * (a database or network hiccup) is retried up to the task's attempts.
 */
export function isPermanentFailure(error: unknown): boolean {
  if (isPermanentError(error)) return true;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && INPUT_PATH_ERRORS.has(code);
}
