import { allowedRegistriesRule } from './allowed-registries';
import { parseDockerfile, type DockerInstruction } from './dockerfile-model';
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
}

const byId = (a: HadolintRuleMeta, b: HadolintRuleMeta): number => a.id.localeCompare(b.id);

/** Every rule that needs no configuration, ordered by id. */
export const HADOLINT_RULES: readonly HadolintRule[] = [...INSTRUCTION_RULES, ...RUN_RULES, ...STAGE_RULES].sort(byId);

/** Id, level and message of every rule, by id. */
export const HADOLINT_RULE_META: Readonly<Record<string, HadolintRuleMeta>> = Object.fromEntries(
  [...HADOLINT_RULES, allowedRegistriesRule([])].sort(byId).map(({ id, level, message }) => [id, { id, level, message }]),
);

/**
 * Lints Dockerfile text with hadolint's DL rules. Honours `# hadolint ignore=…` (the instruction on
 * the next line), `# hadolint global ignore=…` and `options.ignore`. Problems come sorted by line, then id.
 */
export function lintWithHadolintRules(content: string, options: HadolintOptions = {}): HadolintProblem[] {
  const { instructions, comments } = parseDockerfile(content);
  const pragmas = ignoredByPragmas(comments);
  const ignored = new Set([...(options.ignore ?? []), ...pragmas.global]);
  const found = new Map<string, HadolintProblem>();
  for (const rule of [...HADOLINT_RULES, allowedRegistriesRule(options.trustedRegistries ?? [])]) {
    if (ignored.has(rule.id)) continue;
    rule.check(instructions, (at: DockerInstruction) => {
      if (pragmas.byLine.get(at.line)?.has(rule.id)) return;
      const problem: HadolintProblem = { id: rule.id, line: at.line, level: rule.level, message: rule.message };
      if (at.endLine !== at.line) problem.endLine = at.endLine;
      found.set(`${at.line}:${rule.id}`, problem);
    });
  }
  return [...found.values()].sort((a, b) => a.line - b.line || a.id.localeCompare(b.id));
}
