import { open } from 'node:fs/promises';
import { cannotReadMessage, CliError } from '@bulkhead/plugin-sdk/cli';

/** Key, certificate and predicate files are read whole: bound them so a wrong path (a disk image) fails fast. */
export async function readBoundedFile(file: string, what: string, maxBytes: number): Promise<Buffer> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (error) {
    // `cannot read key cosign.pub: no such file or directory`, as every command words it.
    throw new CliError(cannotReadMessage(file, error, what));
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new CliError(`${what} ${file}: not a regular file`);
    if (stat.size > maxBytes) throw new CliError(`${what} ${file}: ${stat.size} bytes is more than the ${maxBytes} allowed`);
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

export const MAX_KEY_FILE_BYTES = 64 * 1024;
