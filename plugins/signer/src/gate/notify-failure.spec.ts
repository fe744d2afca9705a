import { checkPlatformNotification, type TaskContext } from '@bulkhead/plugin-sdk';
import type { GateEvaluation } from './evaluate';
import { gateFailedNotification, notifyGateFailed } from './notify-failure';

const summary = { vulnerabilities: 0, vulnerabilitiesOverLimit: 0, secrets: 0, benchmarkFailures: 0, benchmarkFailuresCounted: 0 };

describe('gateFailedNotification', () => {
  it('names the reference, the rules and each reason, within the SDK limits', () => {
    const reasons = Array.from({ length: 60 }, (_, i) => ({ rule: i < 59 ? 'maxSeverity' : 'allowSecrets', detail: `reason ${i}` }));
    const evaluation: GateEvaluation = { decision: 'FAIL', reasons, summary };
    const event = gateFailedNotification('reg.example/app:1', 'sha256:ab', evaluation);
    expect(event).toMatchObject({ category: 'GATE_FAILED', severity: 'HIGH', title: 'promotion gate failed for reg.example/app:1', subject: 'reg.example/app:1' });
    expect(event.summary).toBe('60 reason(s) under maxSeverity, allowSecrets (10 more in the decision); image sha256:ab');
    expect(event.details).toHaveLength(50);
    expect(event.details?.[0]).toBe('maxSeverity: reason 0');
    // What the host will accept.
    expect(checkPlatformNotification(event)).toEqual(event);
  });

  it('stays within the limits for a huge reference', () => {
    const event = gateFailedNotification(`reg/${'a'.repeat(5000)}`, null, { decision: 'FAIL', reasons: [{ rule: 'benchmark', detail: 'x' }], summary });
    expect(() => checkPlatformNotification(event)).not.toThrow();
  });
});

describe('notifyGateFailed', () => {
  const evaluation: GateEvaluation = { decision: 'FAIL', reasons: [{ rule: 'allowSecrets', detail: 'github-pat in srv/deploy.sh' }], summary };
  const warnings: string[] = [];
  const logger = { info: () => undefined, warn: (_obj: object | string, msg?: string) => void warnings.push(String(msg)), error: () => undefined, debug: () => undefined, child: () => logger };

  it('raises GATE_FAILED on the platform, and does nothing inline', async () => {
    const raised: unknown[] = [];
    await notifyGateFailed({ platform: { notify: async (e: unknown) => void raised.push(e) }, logger } as unknown as TaskContext, 'reg/app:1', 'sha256:ab', evaluation);
    expect(raised).toEqual([expect.objectContaining({ category: 'GATE_FAILED', subject: 'reg/app:1', details: ['allowSecrets: github-pat in srv/deploy.sh'] })]);
    await expect(notifyGateFailed({ logger } as unknown as TaskContext, 'reg/app:1', null, evaluation)).resolves.toBeUndefined();
  });

  it('a notification that cannot be announced is logged, and the gate goes on (its decision is recorded)', async () => {
    const failing = { platform: { notify: async () => Promise.reject(new Error('redis down')) }, logger } as unknown as TaskContext;
    await expect(notifyGateFailed(failing, 'reg/app:1', null, evaluation)).resolves.toBeUndefined();
    expect(warnings).toEqual(['failed gate: notification not raised']);
  });
});
