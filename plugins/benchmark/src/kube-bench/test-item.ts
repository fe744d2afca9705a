import { load } from 'js-yaml';
import { KUBERNETES_YAML_SCHEMA } from '../k8s/yaml';
import { compareOp } from './compare';
import type { ControlCheck, TestItem } from './controls';
import { executeJsonPath } from './jsonpath';

/** Which audit output a test item is looking at (kube-bench's AuditUsed). */
export type AuditSource = 'audit' | 'audit_config' | 'audit_env';

export interface TestOutcome {
  passed: boolean;
  flagFound: boolean;
  actual: string;
  expected: string;
}

interface Found {
  match: boolean;
  value: string;
  error?: string;
}

/** The audit outputs a check's tests run against. */
export interface AuditOutputs {
  audit: string;
  auditConfig: string;
  auditEnv: string;
}

/**
 * Evaluates every test item of a check against its audit outputs and combines them with the
 * check's `bin_op` (kube-bench Check.execute). Each item looks at the `audit` output first; when
 * its flag is not found there and the check has `audit_config`, at that output with `path`; then,
 * when it has `env`, at the `audit_env` output.
 */
export function executeTests(check: ControlCheck, outputs: AuditOutputs): { passed: boolean; actual: string; expected: string; error?: string } {
  const tests = check.tests ?? { binOp: '', testItems: [] };
  const results = tests.testItems.map((item) => {
    let result = executeItem(item, 'audit', outputs.audit, check.useMultipleValues);
    if (!result.flagFound && check.auditConfig !== '') {
      result = executeItem(item, 'audit_config', outputs.auditConfig, check.useMultipleValues);
      if (!result.flagFound && item.env !== '') result = executeItem(item, 'audit_env', outputs.auditEnv, check.useMultipleValues);
    }
    if (!result.flagFound && item.env !== '') result = executeItem(item, 'audit_env', outputs.auditEnv, check.useMultipleValues);
    return result;
  });
  const expectedParts = results.map((r) => r.expected);
  const actual = results[0]?.actual ?? '';
  switch (tests.binOp) {
    case '':
    case 'and':
      return { passed: results.every((r) => r.passed), actual, expected: expectedParts.join(' AND ') };
    case 'or':
      return { passed: results.some((r) => r.passed), actual, expected: expectedParts.join(' OR ') };
    default:
      return { passed: false, actual: `unknown binary operator for tests ${tests.binOp}\n`, expected: '', error: `unknown binary operator for tests ${tests.binOp}` };
  }
}

/** testItem.execute: one output, or each line of it with `use_multiple_values`. */
export function executeItem(item: TestItem, source: AuditSource, output: string, multiple: boolean): TestOutcome {
  const s = output.replace(/[ \n]+$/, '');
  const rows = multiple ? s.split('\n') : [s];
  let result: TestOutcome = { passed: false, flagFound: false, actual: '', expected: '' };
  for (const row of rows) {
    result = evaluateItem(item, source, row);
    if (!result.passed) break;
  }
  return { ...result, actual: s };
}

function evaluateItem(item: TestItem, source: AuditSource, s: string): TestOutcome {
  const found = findValue(item, source, s);
  if (found.error !== undefined) return { passed: false, flagFound: false, actual: found.error, expected: '' };
  const name = source === 'audit_config' ? item.path : source === 'audit_env' ? item.env : item.flag;
  if (item.set) {
    if (found.match && item.compare.op !== '') {
      const { expected, passed } = compareOp(item.compare.op, found.value, item.compare.value, name);
      return { passed, flagFound: found.match, actual: '', expected };
    }
    return { passed: found.match, flagFound: found.match, actual: '', expected: `'${name}' is present` };
  }
  return { passed: !found.match, flagFound: found.match, actual: '', expected: `'${name}' is not present` };
}

function findValue(item: TestItem, source: AuditSource, s: string): Found {
  if (source === 'audit_env') return findEnvValue(item.env, s);
  if (source === 'audit_config') return findPathValue(item.path, s);
  return findFlagValue(item.flag, s);
}

/**
 * Flags in the forms `--flag=value`, `flag: value`, `--flag value`... are found with kube-bench's
 * pattern `(FLAG)(=|: *)*([^\s]*) *`, where FLAG is itself a regular expression. A bare `--flag`
 * means `true`; a bare non-dashed word yields the word itself.
 */
function findFlagValue(flag: string, s: string): Found {
  if (s === '' || flag === '') return { match: false, value: '' };
  if (!s.includes(flag)) return { match: false, value: '' };
  let re: RegExp;
  try {
    re = new RegExp(`(${flag})(=|: *)*([^\\s]*) *`);
  } catch {
    return { match: false, value: '', error: `invalid flag in testItem definition: ${flag}` };
  }
  const vals = re.exec(s);
  if (!vals) return { match: true, value: '', error: `invalid flag in testItem definition: ${s}` };
  if (vals[3]) return { match: true, value: vals[3] };
  return { match: true, value: flag.startsWith('--') ? 'true' : (vals[1] ?? '') };
}

/** `audit_config` output is JSON or YAML; the item's `path` is a Kubernetes JSONPath template. */
function findPathValue(path: string, s: string): Found {
  let data: unknown;
  try {
    data = unmarshal(s);
  } catch (error) {
    return { match: false, value: '', error: `failed to load YAML or JSON from input "${s}": ${(error as Error).message}` };
  }
  let value: string;
  try {
    value = executeJsonPath(path, data);
  } catch (error) {
    return { match: false, value: '', error: `unable to parse path expression "${path}": ${(error as Error).message}` };
  }
  return { match: value !== '', value };
}

function unmarshal(s: string): unknown {
  try {
    return JSON.parse(s) as unknown;
  } catch {
    // yaml.v2 (YAML 1.1 scalars, duplicate keys: the last wins) is what kube-bench falls back to.
    return load(s, { schema: KUBERNETES_YAML_SCHEMA, json: true });
  }
}

/** `NAME=value` lines of a process environment (`audit_env` output). */
function findEnvValue(env: string, s: string): Found {
  if (s === '' || env === '') return { match: false, value: '' };
  const m = new RegExp(`${env}=.*(?:$|\\n)`).exec(s);
  let out = m ? m[0] : '';
  out = out.replace('\n', '').replace(`${env}=`, '');
  return out.length > 0 ? { match: true, value: out } : { match: false, value: '' };
}
