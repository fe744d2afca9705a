import { CliError, EXIT_CODES } from './cli-error';

// What a file system error means, in words a user reads (Node's messages lead with the code).
const PROBLEMS: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'is a directory, not a file',
  ENOTDIR: 'a part of the path is not a directory',
  ELOOP: 'too many levels of symbolic links',
  EMFILE: 'too many open files',
  ENAMETOOLONG: 'the path is too long',
  EIO: 'input/output error',
  ENOSPC: 'no space left on the device',
  EROFS: 'read-only file system',
  EEXIST: 'the file already exists',
};

/** A file system error as words (`no such file or directory`), without the code or the path. */
export function fileProblem(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code && PROBLEMS[code]) return PROBLEMS[code];
  const message = error instanceof Error ? error.message : String(error);
  return code ? message.replace(new RegExp(`^${code}:\\s*`), '') : message;
}

/** `cannot read <what> <file>: <problem>` — the sentence every command prints for an unreadable input. */
export function cannotReadMessage(file: string, error: unknown, what = 'file'): string {
  return `cannot read ${what} ${file}: ${fileProblem(error)}`;
}

/** An unreadable input as a CliError (exit code 1: the work failed, the command line was right). */
export function cannotReadError(file: string, error: unknown, what = 'file'): CliError {
  return new CliError(cannotReadMessage(file, error, what), EXIT_CODES.failed);
}

/** `cannot write <what> <file>: <problem>` — for an output file that cannot be created or written. */
export function cannotWriteMessage(file: string, error: unknown, what = 'file'): string {
  return `cannot write ${what} ${file}: ${fileProblem(error)}`;
}
