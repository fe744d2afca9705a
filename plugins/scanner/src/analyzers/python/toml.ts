import { BadInputError } from '@bulkhead/plugin-sdk';
import { parse, TomlError } from 'smol-toml';

/** TOML (poetry.lock, uv.lock) with errors naming file, line and column. */
export function parseToml(text: string, where: string): Record<string, unknown> {
  try {
    return parse(text) as Record<string, unknown>;
  } catch (error) {
    if (error instanceof TomlError) throw new BadInputError(`${where}:${error.line}:${error.column}: invalid TOML: ${error.message.split('\n')[0]}`, { cause: error });
    throw new BadInputError(`${where}: invalid TOML: ${(error as Error).message}`, { cause: error });
  }
}

export function tableArray(value: unknown, what: string): Record<string, unknown>[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.some((item) => item === null || typeof item !== 'object' || Array.isArray(item))) throw new BadInputError(`${what} is not an array of tables`);
  return value as Record<string, unknown>[];
}
