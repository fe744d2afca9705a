import { badUserInput } from './cursor';

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Task ids are UUIDs; anything else is a client error, not a database error. */
export function requireUuid(value: string, argument: string): string {
  if (!UUID_PATTERN.test(value)) throw badUserInput(`${argument}: ${JSON.stringify(value)} is not a valid id (a UUID)`, argument);
  return value.toLowerCase();
}
