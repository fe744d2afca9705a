import { createHash, type Hash } from 'node:crypto';
import { BadInputError } from '@bulkhead/plugin-sdk';

const DIGEST_PATTERN = /^(sha256|sha512):([a-f0-9]+)$/;
const HEX_LENGTH: Record<string, number> = { sha256: 64, sha512: 128 };

export interface ParsedDigest {
  algorithm: 'sha256' | 'sha512';
  hex: string;
}

/** Parses `sha256:<64 hex>` (or sha512); `what` names the field for the error message. */
export function parseDigest(digest: unknown, what: string): ParsedDigest {
  const match = typeof digest === 'string' ? DIGEST_PATTERN.exec(digest) : null;
  const [, algorithm = '', hex = ''] = match ?? [];
  if (!match || hex.length !== HEX_LENGTH[algorithm]) {
    throw new BadInputError(`${what}: ${JSON.stringify(digest)} is not a valid sha256/sha512 digest`);
  }
  return { algorithm: algorithm as ParsedDigest['algorithm'], hex };
}

export function digestHasher(digest: ParsedDigest): Hash {
  return createHash(digest.algorithm);
}

export function sha256Digest(data: Buffer | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** Throws a BadInputError naming expected and actual digest when they differ. */
export function assertDigest(what: string, expected: string, actual: string): void {
  if (expected !== actual) throw new BadInputError(`${what}: digest mismatch: expected ${expected}, actual ${actual}`);
}
