import { existsSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from './paths';
import { skipSuite } from './skip-suite';

/** Names the folder of the outside conformance data (peers' fixtures, vulnerability data). */
export const SHARED_DIR_VARIABLE = 'BULKHEAD_SHARED_DIR';

/**
 * The folder of conformance data that does not live in this repository (upstream projects'
 * fixtures under peers/, vulnerability data): $BULKHEAD_SHARED_DIR, by default ../shared beside
 * the repository. Read-only; never copied into the repository.
 */
export function sharedDir(): string {
  return path.resolve(process.env[SHARED_DIR_VARIABLE] ?? path.join(repoRoot, '..', 'shared'));
}

/** A path inside the shared data folder, or undefined when that folder is absent. */
export function sharedPath(...segments: string[]): string | undefined {
  const dir = sharedDir();
  return existsSync(dir) ? path.join(dir, ...segments) : undefined;
}

/**
 * `describe` for a suite that needs the shared conformance data: it runs with the folder's path
 * where the folder exists, and otherwise is skipped with one printed line naming the folder it
 * looked for (see skipSuite; with BULKHEAD_NO_SKIP=1 it fails instead).
 */
export function describeWithShared(name: string, fn: (shared: string) => void): void {
  const dir = sharedDir();
  if (existsSync(dir)) describe(name, () => fn(dir));
  else skipSuite(name, `needs the outside conformance data folder ${dir}, which is absent (${SHARED_DIR_VARIABLE} names it; default ../shared)`);
}
