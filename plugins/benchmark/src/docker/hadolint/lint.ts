import { allowedRegistriesRule } from './allowed-registries';
import { parseDockerfile, type DockerInstruction } from './dockerfile-model';
import { DL3057 } from './healthcheck';
import { labelSchemaRules, type LabelSchema } from './label-schema';
import { ignoredByPragmas } from './pragmas';
import type { HadolintLevel, HadolintRule, HadolintRuleMeta } from './rule';
import { INSTRUCTION_RULES } from './rules-instructions';
import { RUN_RULES } from './rules-run';
import { STAGE_RULES } from './rules-stages';

/** One problem, in hadolint's terms. Lines are 1-based and name the instruction's first line. */
export interface HadolintProblem {
  id: string;
  line: number;
  /** Last line of a multi-line instruction. */
  endLine?: number;
  column?: number;
  level: HadolintLevel;
  message: string;
}

export interface HadolintOptions {
  /** Rule ids never to report (hadolint's `--ignore`). */
  ignore?: readonly string[];
  /** Registries FROM images may come from (DL3026; hadolint's `--trusted-registry`). Empty: any. */
  trustedRegistries?: readonly string[];
  /** Labels every stage must set, with the type of their value (DL3049–DL3058; `--require-label`). */
  labelSchema?: LabelSchema;
  /** With a label schema: report labels it does not name (DL3050; `--strict-labels`). */
  strictLabels?: boolean;
  /** Levels that replace a rule's default (hadolint's `override:`); turns on DL3057 too. */
  override?: Partial<Record<HadolintLevel, readonly string[]>>;
}

const byId = (a: HadolintRuleMeta, b: HadolintRuleMeta): number => a.id.localeCompare(b.id);

/** Every rule that needs no configuration and is on by default, ordered by id. */
export const HADOLINT_RULES: readonly HadolintRule[] = [...INSTRUCTION_RULES, ...RUN_RULES, ...STAGE_RULES].sort(byId);

/** The rules a lint runs with these options: the default ones plus those the options configure. */
function rulesFor(options: HadolintOptions): HadolintRule[] {
  return [
    ...HADOLINT_RULES,
    allowedRegistriesRule(options.trustedRegistries ?? []),
    ...labelSchemaRules(options.labelSchema ?? {}, options.strictLabels ?? false),
    DL3057,
  ];
}

/** The level a rule reports at: an override's, else its default. */
function levelOf(rule: HadolintRuleMeta, override: HadolintOptions['override']): HadolintRule['level'] {
  const levels: HadolintLevel[] = ['error', 'warning', 'info', 'style'];
  return levels.find((level) => override?.[level]?.includes(rule.id)) ?? rule.level;
}

/** Id, level and message of every rule, by id. */
export const HADOLINT_RULE_META: Readonly<Record<string, HadolintRuleMeta>> = Object.fromEntries(
  [...HADOLINT_RULES, allowedRegistriesRule([]), DL3057].sort(byId).map(({ id, level, message }) => [id, { id, level, message }]),
);

/**
 * Every rule id this engine knows, configured ones included (for validating `--ignore` values;
 * hadolint itself accepts unknown ids silently).
 */
export const HADOLINT_RULE_IDS: ReadonlySet<string> = new Set([
  ...Object.keys(HADOLINT_RULE_META),
  // A schema with a label of every type switches every label-schema rule on.
  ...labelSchemaRules({ text: 'text', url: 'url', time: 'rfc3339', hash: 'hash', version: 'semver', email: 'email' }, true).map((r) => r.id),
]);

/**
 * Lints Dockerfile text with hadolint's DL rules. Honours `# hadolint ignore=…` (the instruction on
 * the next line), `# hadolint global ignore=…` and `options.ignore`. Problems come sorted by line, then id.
 */
export function lintWithHadolintRules(content: string, options: HadolintOptions = {}): HadolintProblem[] {
  const { instructions, comments } = parseDockerfile(content);
  const pragmas = ignoredByPragmas(comments);
  const ignored = new Set([...(options.ignore ?? []), ...pragmas.global]);
  const found = new Map<string, HadolintProblem>();
  for (const rule of rulesFor(options)) {
    const level = levelOf(rule, options.override);
    if (ignored.has(rule.id) || level === 'ignore') continue;
    rule.check(instructions, (at: DockerInstruction) => {
      if (pragmas.byLine.get(at.line)?.has(rule.id)) return;
      const problem: HadolintProblem = { id: rule.id, line: at.line, level, message: rule.message };
      if (at.endLine !== at.line) problem.endLine = at.endLine;
      found.set(`${at.line}:${rule.id}:${rule.message}`, problem);
    });
  }
  return [...found.values()].sort((a, b) => a.line - b.line || a.id.localeCompare(b.id) || a.message.localeCompare(b.message));
}
