import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { repoRoot } from './paths';

/**
 * Runs fixtures/needs-outside-data.fixture.ts in a child Jest where neither the shared data nor
 * the minbase image exist, and checks what a reader of `npm test` output sees.
 */
function runFixture(env: Record<string, string>): { status: number | null; stderr: string; results: { numPendingTests: number; numFailedTests: number; numPassedTests: number } } {
  const work = mkdtempSync(path.join(tmpdir(), 'bh-skip-'));
  try {
    // The workspace's unit project, narrowed to the fixture.
    const workspace = require(path.join(repoRoot, 'jest.config.cjs')) as { projects: Record<string, unknown>[] };
    const config = { ...workspace.projects[0], displayName: 'fixture', testMatch: ['<rootDir>/libs/testing/src/fixtures/needs-outside-data.fixture.ts'] };
    const results = path.join(work, 'results.json');
    const jest = spawnSync(process.execPath, [require.resolve('jest/bin/jest', { paths: [repoRoot] }), '--config', JSON.stringify(config), '--ci', '--json', '--outputFile', results], {
      cwd: repoRoot,
      encoding: 'utf8',
      env: { ...process.env, BULKHEAD_NO_SKIP: '', BULKHEAD_SHARED_DIR: path.join(work, 'no-shared'), BULKHEAD_TEST_IMAGES: path.join(work, 'no-images'), ...env },
    });
    return { status: jest.status, stderr: jest.stderr, results: JSON.parse(readFileSync(results, 'utf8')) };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

describe('suites without their outside data', () => {
  jest.setTimeout(60_000);

  it('skip, each printing one line that says what it skipped and where it looked', () => {
    const { status, stderr, results } = runFixture({});
    expect(status).toBe(0);
    expect(results).toMatchObject({ numPassedTests: 1, numPendingTests: 3, numFailedTests: 0 });
    const lines = stderr.split('\n').filter((line) => line.startsWith('skipped '));
    const file = 'libs/testing/src/fixtures/needs-outside-data.fixture.ts';
    expect(lines).toEqual([
      expect.stringMatching(new RegExp(`^skipped "a suite that reads the shared data" \\(${file}\\): needs the outside conformance data folder .*/no-shared, which is absent \\(BULKHEAD_SHARED_DIR names it`)),
      expect.stringMatching(new RegExp(`^skipped "a suite that scans the minbase image" \\(${file}\\): needs the debootstrap minbase image in .*/no-images/minbase, which is not built \\(build it with tools/scripts/make-minbase-image.sh`)),
      expect.stringMatching(/^skipped "runs only where the image is built" \(.*\): needs the debootstrap minbase image/),
    ]);
  });

  it('fail instead under BULKHEAD_NO_SKIP=1, as in CI', () => {
    const { status, results } = runFixture({ BULKHEAD_NO_SKIP: '1' });
    expect(status).toBe(1);
    expect(results).toMatchObject({ numPassedTests: 1, numPendingTests: 0, numFailedTests: 3 });
  });
});
