import { BadInputError } from '@bulkhead/plugin-sdk';

/** Parses a manifest, index or config: a JSON object, or a BadInputError naming `what`. */
export function parseJsonObject(bytes: Buffer, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw new BadInputError(`${what}: invalid JSON: ${(error as Error).message}`);
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new BadInputError(`${what}: expected a JSON object`);
  return value as Record<string, unknown>;
}
