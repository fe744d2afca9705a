import type { ValueTransformer } from 'typeorm';

/**
 * pg returns bigint as a string (it may exceed 2^53). Image and layer sizes stay far below that,
 * so they are read back as numbers.
 */
export const bigintNumberTransformer: ValueTransformer = {
  to: (value: number | null | undefined) => value,
  from: (value: string | null) => (value === null ? null : Number(value)),
};
