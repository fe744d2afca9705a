import { BadInputError } from '@bulkhead/plugin-sdk';
import { parse } from 'yaml';
import type { AllowRuleSpec, ExcludeBlockSpec, SecretRuleSpec } from './rule';

/**
 * A secret configuration in Trivy's format (`trivy-secret.yaml`), so a file written for
 * `trivy --secret-config` works unchanged: extra rules, extra allow rules, built-in rules or
 * allow rules switched off by id, and blocks to exclude.
 */
export interface SecretConfig {
  /** When non-empty, only these built-in rules run (custom rules always run). */
  enableBuiltinRules?: string[];
  /** Rules (built-in or custom) switched off by id. */
  disableRules?: string[];
  /** Allow rules (built-in or custom) switched off by id. */
  disableAllowRules?: string[];
  rules?: SecretRuleSpec[];
  allowRules?: AllowRuleSpec[];
  excludeBlock?: ExcludeBlockSpec;
}

type Raw = Record<string, unknown>;

function fail(source: string, field: string, problem: string): never {
  throw new BadInputError(`secret config ${source}: ${field}: ${problem}`);
}

function object(value: unknown, source: string, field: string): Raw {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) fail(source, field, 'expected a mapping');
  return value as Raw;
}

function optionalString(raw: Raw, key: string, source: string, field: string): string | undefined {
  const value = raw[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') fail(source, `${field}.${key}`, 'expected a string');
  return String(value);
}

function stringList(value: unknown, source: string, field: string): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) fail(source, field, 'expected a list of strings');
  return value.map((item, index) => {
    if (typeof item !== 'string' && typeof item !== 'number') fail(source, `${field}[${index}]`, 'expected a string');
    return String(item);
  });
}

function allowRules(value: unknown, source: string, field: string): AllowRuleSpec[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) fail(source, field, 'expected a list');
  return value.map((item, index) => {
    const where = `${field}[${index}]`;
    const raw = object(item, source, where);
    const spec: AllowRuleSpec = {};
    for (const key of ['id', 'description', 'regex', 'path'] as const) {
      const text = optionalString(raw, key, source, where);
      if (text !== undefined) spec[key] = text;
    }
    return spec;
  });
}

function excludeBlock(value: unknown, source: string, field: string): ExcludeBlockSpec | undefined {
  if (value === undefined || value === null) return undefined;
  const raw = object(value, source, field);
  const description = optionalString(raw, 'description', source, field);
  const regexes = stringList(raw['regexes'], source, `${field}.regexes`);
  return { ...(description !== undefined ? { description } : {}), ...(regexes ? { regexes } : {}) };
}

function rules(value: unknown, source: string): SecretRuleSpec[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) fail(source, 'rules', 'expected a list');
  return value.map((item, index) => {
    const where = `rules[${index}]`;
    const raw = object(item, source, where);
    const id = optionalString(raw, 'id', source, where);
    if (!id) fail(source, `${where}.id`, 'required');
    const regex = optionalString(raw, 'regex', source, where);
    if (!regex) fail(source, `${where} (${id}).regex`, 'required');
    const path = optionalString(raw, 'path', source, where);
    const keywords = stringList(raw['keywords'], source, `${where}.keywords`);
    const allow = allowRules(raw['allow-rules'], source, `${where}.allow-rules`);
    const block = excludeBlock(raw['exclude-block'], source, `${where}.exclude-block`);
    const group = optionalString(raw, 'secret-group-name', source, where);
    return {
      id,
      category: optionalString(raw, 'category', source, where) ?? '',
      title: optionalString(raw, 'title', source, where) ?? '',
      severity: optionalString(raw, 'severity', source, where) ?? '',
      regex,
      ...(keywords ? { keywords } : {}),
      ...(path ? { path } : {}),
      ...(allow ? { allowRules: allow } : {}),
      ...(block ? { excludeBlock: block } : {}),
      ...(group ? { secretGroupName: group } : {}),
    };
  });
}

/** Parses a Trivy secret config; `source` names it in errors (a file path). */
export function parseSecretConfig(text: string, source: string): SecretConfig {
  let document: unknown;
  try {
    document = parse(text, { maxAliasCount: 100 });
  } catch (error) {
    throw new BadInputError(`secret config ${source}: not valid YAML: ${(error as Error).message}`);
  }
  if (document === null || document === undefined) return {};
  const raw = object(document, source, '(top level)');
  const config: SecretConfig = {};
  const enable = stringList(raw['enable-builtin-rules'], source, 'enable-builtin-rules');
  const disable = stringList(raw['disable-rules'], source, 'disable-rules');
  const disableAllow = stringList(raw['disable-allow-rules'], source, 'disable-allow-rules');
  const custom = rules(raw['rules'], source);
  const allow = allowRules(raw['allow-rules'], source, 'allow-rules');
  const block = excludeBlock(raw['exclude-block'], source, 'exclude-block');
  if (enable) config.enableBuiltinRules = enable;
  if (disable) config.disableRules = disable;
  if (disableAllow) config.disableAllowRules = disableAllow;
  if (custom) config.rules = custom;
  if (allow) config.allowRules = allow;
  if (block) config.excludeBlock = block;
  return config;
}
