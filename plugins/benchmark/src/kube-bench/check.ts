import type { ControlCheck } from './controls';
import type { AuditOptions, AuditRunner } from './audit';
import { executeTests } from './test-item';

/** kube-bench's check states. */
export type KubeBenchState = 'PASS' | 'FAIL' | 'WARN' | 'INFO';

export interface CheckOutcome {
  state: KubeBenchState;
  /** Why the state is what it is when no test decided it (manual, skip, audit error, timeout). */
  reason: string;
  actualValue: string;
  expectedResult: string;
  timedOut: boolean;
}

/**
 * Runs one check with kube-bench's rules (check/check.go Check.run):
 * - scored, no type and no `tests:` at all → WARN ("There are no tests");
 * - `type: skip` → INFO; `type: manual` → WARN (their audits are never run);
 * - no test items → FAIL when scored, WARN otherwise;
 * - otherwise `audit_env`, `audit`, `audit_config` run in that order (stopping at the first
 *   error); tests pass → PASS, fail → FAIL when scored / WARN when not; an audit error (non-zero
 *   exit, timeout) or a bad `bin_op` → FAIL when scored / WARN when not, with the error as reason.
 */
export async function runCheck(check: ControlCheck, runAudit: AuditRunner, options: AuditOptions): Promise<CheckOutcome> {
  const outcome = (state: KubeBenchState, reason: string): CheckOutcome => ({ state, reason, actualValue: '', expectedResult: '', timedOut: false });
  const failState: KubeBenchState = check.scored ? 'FAIL' : 'WARN';
  if (check.scored && check.type.trim() === '' && check.tests === null) return outcome('WARN', 'There are no tests');
  if (check.type === 'skip') return outcome('INFO', 'Test marked as skip');
  if (check.type === 'manual') return outcome('WARN', 'Test marked as a manual test');
  if (check.tests === null || check.tests.testItems.length === 0) return outcome(failState, 'No tests defined');

  const outputs = { audit: '', auditConfig: '', auditEnv: '' };
  let error: string | undefined;
  let timedOut = false;
  for (const [key, command] of [
    ['auditEnv', check.auditEnv],
    ['audit', check.audit],
    ['auditConfig', check.auditConfig],
  ] as const) {
    if (key === 'auditEnv' && command === '') continue;
    const result = await runAudit(command, options);
    outputs[key] = result.output;
    if (result.error !== undefined) {
      error = result.error;
      timedOut = result.timedOut === true;
      break;
    }
  }
  if (error !== undefined) return { state: failState, reason: error, actualValue: '', expectedResult: '', timedOut };

  const result = executeTests(check, outputs);
  if (result.error !== undefined) return { state: failState, reason: result.error, actualValue: result.actual, expectedResult: '', timedOut: false };
  return {
    state: result.passed ? 'PASS' : failState,
    reason: '',
    actualValue: result.actual,
    expectedResult: result.expected,
    timedOut: false,
  };
}
