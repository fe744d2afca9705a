import path from 'node:path';
import { repoRoot } from './paths';

/**
 * Set (to 1) where everything a suite needs is known to be present, as `.ci/run` does: a suite
 * that would skip for missing outside data then fails instead, so nothing is skipped unnoticed.
 */
export const NO_SKIP_VARIABLE = 'BULKHEAD_NO_SKIP';

/**
 * Registers the suite `name` as one that cannot run here because of `missing` (a sentence
 * saying what is absent and where it was looked for).
 *
 * It prints one line on stderr (shown in `npm test` output, unlike a skipped test's name) and
 * registers one skipped test whose name says the same. With BULKHEAD_NO_SKIP=1 it registers a
 * failing test instead.
 */
export function skipSuite(name: string, missing: string): void {
  describe(name, () => skipTest('cannot run', missing, name));
}

/** Like skipSuite, for the single test `name` (`suite` names its suite in the printed line). */
export function skipTest(name: string, missing: string, suite?: string): void {
  if (process.env[NO_SKIP_VARIABLE] === '1') {
    it(`${name}: ${missing}`, () => {
      throw new Error(`${missing}; ${NO_SKIP_VARIABLE}=1 forbids skipping`);
    });
    return;
  }
  const testPath = expect.getState().testPath;
  const file = testPath ? path.relative(repoRoot, testPath) : 'a test file';
  process.stderr.write(`skipped "${suite ?? name}" (${file}): ${missing}\n`);
  it.skip(`${name}: skipped, ${missing}`, () => undefined);
}
