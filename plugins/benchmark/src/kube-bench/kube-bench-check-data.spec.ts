import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describeWithShared } from '@bulkhead/testing';
import { runShellAudit } from './audit';
import { runCheck } from './check';
import { parseControls, type ControlCheck, type Controls } from './controls';
import { executeTests } from './test-item';

// kube-bench's own unit-test data (check/data) with the cases and expectations of its
// check/test_test.go and check/check_test.go.
describeWithShared('kube-bench check test data', (shared) => {
  const file = path.join(shared, 'peers/kube-bench/check/data');
  const controls: Controls = parseControls(readFileSync(file, 'utf8').replace(/\$user/g, process.env['USER'] ?? 'root'), 'check/data');
  const check = (group: number, index: number): ControlCheck => {
    const found = controls.groups[group]?.checks[index];
    if (!found) throw new Error(`check data has no group ${group} check ${index}`);
    return found;
  };

  it('parses the master test controls', () => {
    expect(controls.type).toBe('master');
    expect(controls.groups.map((g) => g.checks.length)).toEqual([34, 17, 7]);
  });

  // TestTestExecute: [check index, audit output, audit_config output, audit_env output, expected text] → passes.
  const passing: [number, string, string, string, string][] = [
    [0, '2:45 ../kubernetes/kube-apiserver --allow-privileged=false --option1=20,30,40', '', '', "'--allow-privileged' is present"],
    [1, '2:45 ../kubernetes/kube-apiserver --allow-privileged=false', '', '', "'--basic-auth' is not present"],
    [2, 'niinai   13617  2635 99 19:26 pts/20   00:03:08 ./kube-apiserver --insecure-port=0 --anonymous-auth', '', '', "'--insecure-port' is equal to '0'"],
    [3, '2:45 ../kubernetes/kube-apiserver --secure-port=0 --audit-log-maxage=40 --option', '', '', "'--audit-log-maxage' is greater or equal to 30"],
    [4, '2:45 ../kubernetes/kube-apiserver --max-backlog=20 --secure-port=0 --audit-log-maxage=40 --option', '', '', "'--max-backlog' is lower than 30"],
    [5, '2:45 ../kubernetes/kube-apiserver --option --admission-control=WebHook,RBAC ---audit-log-maxage=40', '', '', "'--admission-control' does not have 'AlwaysAdmit'"],
    [6, '2:45 .. --kubelet-clientkey=foo --kubelet-client-certificate=bar --admission-control=Webhook,RBAC', '', '', "'--kubelet-client-certificate' is present AND '--kubelet-clientkey' is present"],
    [7, '2:45 ..  --secure-port=0 --kubelet-client-certificate=bar --admission-control=Webhook,RBAC', '', '', "'--secure-port' is equal to '0' OR '--secure-port' is not present"],
    [8, 'permissions=SomeValue', '', '', "'permissions' is equal to 'SomeValue'"],
    [9, 'permissions=640', '', '', 'permissions has permissions 640, expected 644 or more restrictive'],
    [9, 'permissions=600', '', '', 'permissions has permissions 600, expected 644 or more restrictive'],
    [10, '2:45 ../kubernetes/kube-apiserver --option --admission-control=WebHook,RBAC ---audit-log-maxage=40', '', '', "'--admission-control' has 'RBAC'"],
    [11, '2:45 ../kubernetes/kube-apiserver --option --admission-control=WebHook,RBAC ---audit-log-maxage=40', '', '', "'--admission-control' has 'WebHook'"],
    [12, '2:45 ../kubernetes/kube-apiserver --option --admission-control=WebHook,Something,RBAC ---audit-log-maxage=40', '', '', "'--admission-control' has 'Something'"],
    [13, '2:45 ../kubernetes/kube-apiserver --option --admission-control=Something ---audit-log-maxage=40', '', '', "'--admission-control' has 'Something'"],
    [14, '2:45 kube-apiserver some-arg: some-val --admission-control=Something ---audit-log-maxage=40', '', '', "'some-arg' is equal to 'some-val'"],
    [14, '2:45 kube-apiserver some-arg:some-val --admission-control=Something ---audit-log-maxage=40', '', '', "'some-arg' is equal to 'some-val'"],
    [15, '', '{"readOnlyPort": 15000}', '', "'{.readOnlyPort}' is equal to '15000' OR '{.readOnlyPort}' is greater or equal to 15000 OR '{.readOnlyPort}' is lower or equal to 15000"],
    [16, '', '{"stringValue": "WebHook,Something,RBAC"}', '', "'{.stringValue}' is not equal to 'None' AND '{.stringValue}' is not equal to 'webhook,Something,RBAC' AND '{.stringValue}' is equal to 'WebHook,Something,RBAC'"],
    [17, '', '{"trueValue": true}', '', "'{.trueValue}' is not equal to 'somethingElse' AND '{.trueValue}' is not equal to 'false' AND '{.trueValue}' is equal to 'true'"],
    [18, '', '{"readOnlyPort": 15000}', '', "'{.notARealField}' is not present"],
    [19, '', '{"authentication": { "anonymous": {"enabled": false}}}', '', "'{.authentication.anonymous.enabled}' is equal to 'false'"],
    [20, '', 'readOnlyPort: 15000', '', "'{.readOnlyPort}' is greater than 14999"],
    [21, '', 'readOnlyPort: 15000', '', "'{.fieldThatIsUnset}' is not present"],
    [22, '', 'authentication:\n  anonymous:\n    enabled: false', '', "'{.authentication.anonymous.enabled}' is equal to 'false'"],
    [26, '', 'currentMasterVersion: 1.12.7', '', "'{.currentMasterVersion}' matched by regex expression '^1\\.12.*$'"],
    [27, '--peer-client-cert-auth', '', '', "'--peer-client-cert-auth' is equal to 'true'"],
    [27, '--abc=true --peer-client-cert-auth --efg=false', '', '', "'--peer-client-cert-auth' is equal to 'true'"],
    [27, '--abc --peer-client-cert-auth --efg', '', '', "'--peer-client-cert-auth' is equal to 'true'"],
    [27, '--peer-client-cert-auth=true', '', '', "'--peer-client-cert-auth' is equal to 'true'"],
    [27, '--abc --peer-client-cert-auth=true --efg', '', '', "'--peer-client-cert-auth' is equal to 'true'"],
    [28, '--abc --peer-client-cert-auth=false --efg', '', '', "'--peer-client-cert-auth' is equal to 'false'"],
    [29, '2:45 ../kubernetes/kube-apiserver --option1=20,30,40', '', 'SOME_OTHER_ENV=true\nALLOW_PRIVILEGED=false', "'ALLOW_PRIVILEGED' is present"],
    [30, '2:45 ../kubernetes/kube-apiserver --option1=20,30,40', '', '', "'BASIC_AUTH' is not present"],
    [31, '2:45 ../kubernetes/kube-apiserver --option1=20,30,40', '', 'INSECURE_PORT=0', "'INSECURE_PORT' is equal to '0'"],
    [32, '2:45 ../kubernetes/kube-apiserver --option1=20,30,40', '', 'AUDIT_LOG_MAXAGE=40', "'AUDIT_LOG_MAXAGE' is greater or equal to 30"],
    [33, '2:45 ../kubernetes/kube-apiserver --option1=20,30,40', '', 'MAX_BACKLOG=20', "'MAX_BACKLOG' is lower than 30"],
  ];
  it.each(passing)('test execute: check 1.1/%i passes on %j', (index, audit, auditConfig, auditEnv, expected) => {
    const result = executeTests(check(0, index), { audit, auditConfig, auditEnv });
    expect(result.error).toBeUndefined();
    expect(result.passed).toBe(true);
    expect(result.expected).toBe(expected);
  });

  // TestTestExecuteExceptions: audit_config output → fails without an error.
  const failing: [number, string][] = [
    [23, 'this is not valid json {} at all'],
    [24, '{"key": "value"}'],
    [25, 'broken } yaml\nenabled: true'],
    [26, 'currentMasterVersion: 1.11'],
    [26, 'currentMasterVersion: '],
  ];
  it.each(failing)('test execute exceptions: check 1.1/%i fails on %j', (index, auditConfig) => {
    const result = executeTests(check(0, index), { audit: '', auditConfig, auditEnv: '' });
    expect(result.error).toBeUndefined();
    expect(result.passed).toBe(false);
  });

  // TestCheckAuditConfig and TestCheckAuditEnv: the checks run their real audit commands.
  const states: [number, number, 'PASS' | 'FAIL'][] = [
    ...[0, 3, 5, 7, 9, 15].map((i) => [1, i, 'PASS'] as [number, number, 'PASS']),
    ...[1, 2, 4, 6, 8, 10, 11, 12, 13, 14, 16].map((i) => [1, i, 'FAIL'] as [number, number, 'FAIL']),
    ...[0, 2, 3, 4].map((i) => [2, i, 'PASS'] as [number, number, 'PASS']),
    ...[1, 5, 6].map((i) => [2, i, 'FAIL'] as [number, number, 'FAIL']),
  ];
  it.each(states)('check run: group %i check %i gives %s', async (group, index, expected) => {
    const outcome = await runCheck(check(group, index), runShellAudit, { timeoutMs: 10_000 });
    expect(outcome.state).toBe(expected);
  });
});

describe('kube-bench check states (check_test.go TestCheck_Run)', () => {
  const base: ControlCheck = {
    id: 'x',
    text: 'x',
    audit: '',
    auditEnv: '',
    auditConfig: '',
    type: '',
    tests: null,
    remediation: '',
    scored: false,
    useMultipleValues: false,
    disableEnvTesting: false,
  };
  const hello = { binOp: '', testItems: [{ flag: 'hello', env: '', path: '', set: true, compare: { op: '', value: '' } }] };
  const cases: [string, Partial<ControlCheck>, string][] = [
    ['manual check should WARN', { type: 'manual' }, 'WARN'],
    ['skip check should INFO', { type: 'skip' }, 'INFO'],
    ['unscored check with no type should WARN on failure', { scored: false }, 'WARN'],
    ['unscored check that passes should PASS', { scored: false, audit: 'echo hello', tests: hello }, 'PASS'],
    ['check with no tests should WARN', { scored: true }, 'WARN'],
    ['scored check with empty tests should FAIL', { scored: true, tests: { binOp: '', testItems: [] } }, 'FAIL'],
    [
      "scored check that doesn't pass should FAIL",
      { scored: true, audit: 'echo hello', tests: { binOp: '', testItems: hello.testItems.map((t) => ({ ...t, set: false })) } },
      'FAIL',
    ],
    ['scored check that passes should PASS', { scored: true, audit: 'echo hello', tests: hello }, 'PASS'],
  ];
  it.each(cases)('%s', async (_name, overrides, expected) => {
    expect((await runCheck({ ...base, ...overrides }, runShellAudit, { timeoutMs: 10_000 })).state).toBe(expected);
  });

  it('an audit that fails to run is FAIL for scored and WARN for unscored checks, with the error as reason', async () => {
    const broken = { ...base, audit: 'unknown_command_xyz', tests: hello };
    const scored = await runCheck({ ...broken, scored: true }, runShellAudit, { timeoutMs: 10_000 });
    expect(scored.state).toBe('FAIL');
    expect(scored.reason).toMatch(/^failed to run: "unknown_command_xyz", output: ".*not found/);
    expect((await runCheck(broken, runShellAudit, { timeoutMs: 10_000 })).state).toBe('WARN');
  });

  it('an unknown bin_op is an error', async () => {
    const outcome = await runCheck({ ...base, scored: true, audit: 'echo hello', tests: { ...hello, binOp: 'xor' } }, runShellAudit, { timeoutMs: 10_000 });
    expect(outcome).toMatchObject({ state: 'FAIL', reason: 'unknown binary operator for tests xor' });
  });
});
