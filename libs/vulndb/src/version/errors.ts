import { BadInputError } from '@bulkhead/plugin-sdk';
import type { VersionScheme } from '../ecosystem';

/** A version string that a scheme cannot order: names the version, the scheme and why. */
export class InvalidVersionError extends BadInputError {
  constructor(
    readonly scheme: VersionScheme,
    readonly version: string,
    readonly reason: string,
  ) {
    super(`invalid ${scheme} version ${JSON.stringify(version)}: ${reason}`);
  }
}
