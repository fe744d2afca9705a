import { readFileSync } from 'node:fs';
import path from 'node:path';

/** A version-vectors JSON file (shared/peers/version-vectors, see its SOURCE.md). */
export interface VectorFile<T> {
  source: { repository: string; test?: string; table?: string };
  cases: T[];
}

export function readVectors<T>(shared: string, ...segments: string[]): VectorFile<T> {
  return JSON.parse(readFileSync(path.join(shared, 'peers', 'version-vectors', ...segments), 'utf8')) as VectorFile<T>;
}

export function readOrdered(shared: string, ...segments: string[]): string[] {
  const file = JSON.parse(readFileSync(path.join(shared, 'peers', 'version-vectors', ...segments), 'utf8')) as { ordered_ascending: string[] };
  return file.ordered_ascending;
}

/** Every pair (i < j) of a strictly ascending list, as the Go tests assert them. */
export function ascendingPairs(list: readonly string[]): [string, string][] {
  const pairs: [string, string][] = [];
  for (let i = 0; i < list.length; i++) for (let j = i + 1; j < list.length; j++) pairs.push([list[i] as string, list[j] as string]);
  return pairs;
}
