import { BadInputError } from '@bulkhead/plugin-sdk';
import { NotationError, SigningFormatError } from '@bulkhead/signing';

/**
 * The signing library's format errors (a malformed key, signature or envelope) are answers about
 * the input: as BadInputError the worker reports them and does not retry the task.
 */
export async function formatErrorsArePermanent<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof SigningFormatError || error instanceof NotationError) throw new BadInputError(error.message, { cause: error });
    throw error;
  }
}
