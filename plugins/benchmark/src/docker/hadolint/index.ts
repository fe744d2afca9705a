export { HADOLINT_RULE_IDS, HADOLINT_RULES, HADOLINT_RULE_META, lintWithHadolintRules, type HadolintOptions, type HadolintProblem } from './lint';
export type { LabelSchema, LabelType } from './label-schema';
export type { HadolintLevel, HadolintRuleMeta } from './rule';
export { parseShell, type ParsedShell, type ShellCommand } from './shell';
