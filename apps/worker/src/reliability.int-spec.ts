import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { privatePostgresMissing, repoRoot, skipSuite } from '@bulkhead/testing';
import { formatReliabilityReport, runReliabilitySuite } from '@bulkhead/testing/reliability';

// The bounded CI variant of the reliability suite (`npm run bench -- reliability` runs 1,000
// tasks): 200 tasks through GraphQL into the real API and three real workers, compiled with swc
// as `npm run build` does into a folder of this suite's own (other engineers' Jest runs must not
// see a second copy of the sources), on a private Postgres cluster that it restarts, while
// workers are SIGKILLed every 3 s and the run's Redis prefix is flushed.
// A multiple of 20 (SCAN_EVERY): one task in 20 is a scan.
const TASKS = Number(process.env['BULKHEAD_RELIABILITY_TASKS'] ?? 200);
jest.setTimeout(300_000);

const missing = privatePostgresMissing();
if (missing) {
  skipSuite('reliability suite', missing);
} else {
  const buildDir = path.join(tmpdir(), `bulkhead-reliability-it-${randomBytes(4).toString('hex')}`);

  beforeAll(() => {
    mkdirSync(path.join(buildDir, 'logs'), { recursive: true });
    symlinkSync(path.join(repoRoot, 'node_modules'), path.join(buildDir, 'node_modules'));
    const config = path.join(buildDir, 'swcrc.json');
    writeFileSync(config, execFileSync(process.execPath, [path.join(repoRoot, 'tools/scripts/swc-config.js')], { cwd: repoRoot }));
    execFileSync(
      process.execPath,
      [path.join(repoRoot, 'node_modules/@swc/cli/bin/swc.js'), 'apps', 'libs', 'plugins', '-d', buildDir, '--config-file', config, '--copy-files',
        '--ignore', '**/fixtures/**', '--ignore', '**/*.spec.ts', '--ignore', '**/*.int-spec.ts', '--ignore', '**/node_modules/**'],
      { cwd: repoRoot, stdio: 'ignore' },
    );
  });

  afterAll(() => {
    rmSync(buildDir, { recursive: true, force: true });
  });

  describe('reliability suite', () => {
    it(`${TASKS} tasks with workers SIGKILLed every 3 s, the Redis prefix flushed and Postgres restarted: every accepted task SUCCEEDED exactly once, no duplicate rows`, async () => {
      const report = await runReliabilitySuite({
        compiled: { root: buildDir, cwd: buildDir, logDir: path.join(buildDir, 'logs') },
        redisUrl: process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379',
        tasks: TASKS,
        workers: 3,
        // Spread over 30 s, so that workers die several times during the run.
        minDurationMs: 30_000,
        timeoutMs: 240_000,
      });
      process.stderr.write(`${formatReliabilityReport(report)}\n`);
      expect(report.failures).toEqual([]);
      expect(report.accepted).toBe(TASKS);
      expect(report.ledger?.statusCounts).toEqual({ SUCCEEDED: TASKS });
      // One task in 20 scans the tiny image; each other one stored its one finding.
      expect(report.ledger).toMatchObject({ scans: TASKS / 20, artifactRows: 1, probeFindings: TASKS - TASKS / 20 });
      // The faults really struck while tasks were in flight, and workers really died.
      expect(report.faults.map((f) => f.fault)).toEqual(['redis-flush', 'postgres-restart']);
      expect(report.kills).toBeGreaterThan(0);
    });
  });
}
