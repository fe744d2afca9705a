import type { Severity } from '@bulkhead/plugin-sdk';
import { GoRegexp, GoRegexpError } from './go-regexp';

/** A secret rule as Trivy defines it (builtin or from a secret config), before compilation. */
export interface SecretRuleSpec {
  id: string;
  category: string;
  title: string;
  /** Trivy's severity names; empty means UNKNOWN. */
  severity: string;
  /** Go regular expression. */
  regex: string;
  /** Lower-cased before use: a rule runs only on content holding one of them (none: always). */
  keywords?: string[];
  /** Go regular expression over the path: the rule only applies to matching paths. */
  path?: string;
  allowRules?: AllowRuleSpec[];
  excludeBlock?: ExcludeBlockSpec;
  /** Named group holding the secret (only it is redacted and located); else the whole match. */
  secretGroupName?: string;
}

export interface AllowRuleSpec {
  id?: string;
  description?: string;
  /** Go regular expression over the whole match: a matching match is not reported. */
  regex?: string;
  /** Go regular expression over the path: matching files are not scanned. */
  path?: string;
}

export interface ExcludeBlockSpec {
  description?: string;
  /** Go regular expressions: matches inside a block they match are not reported. */
  regexes?: string[];
}

export interface AllowRule {
  id: string;
  description: string;
  regex?: GoRegexp;
  path?: GoRegexp;
}

export interface SecretRule {
  id: string;
  category: string;
  title: string;
  severity: Severity;
  regex: GoRegexp;
  /** Lower-case keywords. */
  keywords: string[];
  path?: GoRegexp;
  allowRules: AllowRule[];
  excludeBlocks: GoRegexp[];
  /**
   * JavaScript group numbers of the secret group (a Go pattern may name several alike);
   * undefined when the rule reports whole matches. A name the pattern lacks gives [] (nothing
   * is reported, as in Trivy).
   */
  secretGroups?: number[];
}

const SEVERITY_NAMES = ['LOW', 'MEDIUM', 'HIGH', 'CRITICAL', 'UNKNOWN'];

/** Trivy's convertSeverity: any case of a known name, anything else (or nothing) is UNKNOWN. */
export function normaliseSeverity(severity: string | undefined): Severity {
  const upper = (severity ?? '').toUpperCase();
  return (SEVERITY_NAMES.includes(upper) ? upper : 'UNKNOWN') as Severity;
}

function compile(pattern: string, where: string): GoRegexp {
  try {
    return new GoRegexp(pattern);
  } catch (error) {
    if (error instanceof GoRegexpError) throw new GoRegexpError(`${where}: ${error.message}`);
    throw error;
  }
}

export function compileAllowRule(spec: AllowRuleSpec, where: string): AllowRule {
  const name = `${where} allow rule ${spec.id ?? spec.description ?? '(unnamed)'}`;
  return {
    id: spec.id ?? '',
    description: spec.description ?? '',
    ...(spec.regex ? { regex: compile(spec.regex, `${name} regex`) } : {}),
    ...(spec.path ? { path: compile(spec.path, `${name} path`) } : {}),
  };
}

export function compileRule(spec: SecretRuleSpec): SecretRule {
  const where = `secret rule ${spec.id}`;
  const regex = compile(spec.regex, `${where} regex`);
  const secretGroups = spec.secretGroupName ? [] as number[] : undefined;
  regex.groupNames.forEach((name, index) => {
    if (secretGroups && name === spec.secretGroupName) secretGroups.push(index + 1);
  });
  return {
    id: spec.id,
    category: spec.category,
    title: spec.title,
    severity: normaliseSeverity(spec.severity),
    regex,
    keywords: (spec.keywords ?? []).map((k) => k.toLowerCase()),
    ...(spec.path ? { path: compile(spec.path, `${where} path`) } : {}),
    allowRules: (spec.allowRules ?? []).map((a) => compileAllowRule(a, where)),
    excludeBlocks: (spec.excludeBlock?.regexes ?? []).map((r) => compile(r, `${where} exclude-block`)),
    ...(secretGroups ? { secretGroups } : {}),
  };
}

/** Go's `AllowRules.Allow`: does an allow rule's regex match the text. */
export function allowsMatch(rules: readonly AllowRule[], match: string): boolean {
  return rules.some((rule) => rule.regex?.matches(match));
}

/** Go's `AllowRules.AllowPath`. */
export function allowsPath(rules: readonly AllowRule[], path: string): boolean {
  return rules.some((rule) => rule.path?.matches(path));
}
