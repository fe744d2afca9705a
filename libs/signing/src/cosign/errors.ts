/**
 * Every refusal of this library is a SigningFormatError: bad input (hostile or corrupt files,
 * wrong passwords, oversized documents) is reported with a message that names the problem, never
 * with a crash from deep inside a parser.
 */
export class SigningFormatError extends Error {
  override readonly name = 'SigningFormatError';
}
