import { startTestPlatform, type TestPlatform } from '@bulkhead/api/testing';
import { TaskStatus, TaskStore } from '@bulkhead/persistence';
import { PluginRegistry } from '@bulkhead/plugin-sdk';
import { PROBE_LABEL, PROBE_TASK } from '@bulkhead/queue';
import { validateReport } from '@bulkhead/testing';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ProbeReport } from './commands/probe.command';
import { runCliIn } from './testing/in-process';

/*
 * `bulkhead probe` against a real API and worker (Postgres, Redis): the canary task goes the
 * whole way and every hop is reported; without a worker it times out, is cancelled and the
 * command fails (exit 1), as a monitor needs.
 */

jest.setTimeout(60_000);

let platform: TestPlatform;
let dir: string;
let operator: string;
let viewer: string;

beforeAll(async () => {
  platform = await startTestPlatform({ label: 'cli_probe', registry: new PluginRegistry(), kinds: [PROBE_TASK.kind] });
  operator = (await platform.createToken('operator')).secret;
  viewer = (await platform.createToken('viewer')).secret;
  dir = mkdtempSync(path.join(tmpdir(), 'bulkhead-probe-'));
});

afterAll(async () => {
  await platform?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const probe = (...args: string[]) => runCliIn(dir, ['--token', operator, 'probe', '--server', platform.api.url, ...args]);

describe('bulkhead probe', () => {
  it('runs the canary through the whole path and reports each hop', async () => {
    const { code, out, err } = await runCliIn(dir, ['--token', operator, 'probe', '--server', platform.api.url, '--label', 'ci-check', '--format', 'json']);
    expect({ code, err }).toEqual({ code: 0, err: '' });
    const report = JSON.parse(out) as ProbeReport;
    expect(validateReport('probe', report)).toEqual({ valid: true, errors: null });
    expect(report).toMatchObject({ label: 'ci-check', status: 'SUCCEEDED', succeeded: true, error: null });
    expect(report.hops.map((h) => h.name)).toEqual(['submit', 'subscribe', 'enqueue', 'pickup', 'finish', 'notify']);
    expect(report.totalMs).toBeGreaterThan(0);
    // The task row: SUCCEEDED once, labelled, in the token's team.
    const row = await new TaskStore(platform.db.dataSource).get(report.taskId);
    expect(row).toMatchObject({ status: TaskStatus.SUCCEEDED, attempts: 1, kind: PROBE_TASK.kind, type: PROBE_TASK.type, labels: { [PROBE_LABEL]: 'ci-check' } });
  });

  it('prints the hops for people, and to --output FILE (0600) under --quiet', async () => {
    const text = await probe();
    expect(text.code).toBe(0);
    expect(text.out).toMatch(/^probe cli: ok in \d+ ms \(task [0-9a-f-]{36} SUCCEEDED\)\n {2}submit +\d+ ms\n/);
    const file = path.join(dir, 'probe.txt');
    const quiet = await runCliIn(dir, ['--token', operator, 'probe', '--server', platform.api.url, '--output', file, '--quiet']);
    expect({ code: quiet.code, out: quiet.out }).toEqual({ code: 0, out: '' });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8')).toMatch(/^probe cli: ok/);
  });

  it('refuses a viewer token (a probe queues a task) and a bad label, naming it', async () => {
    const asViewer = await runCliIn(dir, ['--token', viewer, 'probe', '--server', platform.api.url]);
    expect(asViewer.code).toBe(1);
    expect(asViewer.err).toMatch(/operator/);
    const bad = await probe('--label', '../../etc');
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/label: label may hold only letters, digits/);
  });

  it('fails (exit 1) when no worker finishes the canary in time, and cancels it', async () => {
    await platform.worker.stop();
    const { code, out } = await probe('--timeout', '1500', '--format', 'json');
    expect(code).toBe(1);
    const report = JSON.parse(out) as ProbeReport;
    expect(validateReport('probe', report)).toEqual({ valid: true, errors: null });
    expect(report).toMatchObject({ succeeded: false, status: 'CANCELLED', error: expect.stringMatching(/no worker finished the probe task within 1500 ms/) });
    expect(report.hops.map((h) => h.name)).toEqual(['submit', 'subscribe', 'enqueue']);
  });
});
