import { BadInputError } from '@bulkhead/plugin-sdk';

/**
 * Every refusal of this library is a SigningFormatError: bad input (hostile or corrupt files,
 * wrong passwords, oversized documents) is reported with a message that names the problem, never
 * with a crash from deep inside a parser. It is a BadInputError, so task runners report it as-is
 * and never retry it: the same key, password or document gives the same answer.
 */
export class SigningFormatError extends BadInputError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    // The SDK types `name` as the literal 'BadInputError'; the runtime name says where it came from.
    Object.defineProperty(this, 'name', { value: 'SigningFormatError', enumerable: false, configurable: true, writable: true });
  }
}
