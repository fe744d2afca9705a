/**
 * The one error type of the Notary Project code. `code` lets callers (CLI, API) tell a malformed
 * input from a failed check without matching on messages; the message always names the problem.
 */
export type NotationErrorCode =
  | 'malformed' // bad encoding, wrong type, missing field, over a size limit
  | 'unsupported' // a well-formed value this implementation does not handle (algorithm, media type)
  | 'integrity' // the signature does not verify over its payload and headers
  | 'certificate' // a certificate or chain breaks the Notary Project certificate requirements
  | 'policy' // a trust policy or trust store is invalid or does not apply
  | 'timestamp' // an RFC 3161 timestamp token is invalid
  | 'expired'; // the signature's own expiry time has passed

export class NotationError extends Error {
  constructor(
    readonly code: NotationErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'NotationError';
  }
}

export function malformed(message: string): NotationError {
  return new NotationError('malformed', message);
}
