import { EXAMPLES_DL3000_DL3029 } from './dl3000-dl3029';
import { EXAMPLES_DL3030_DL4006 } from './dl3030-dl4006';
import type { RuleExamples } from './rule-examples';

/** hadolint's own examples for every rule that runs without configuration, by rule id. */
export const HADOLINT_EXAMPLES: Record<string, RuleExamples> = { ...EXAMPLES_DL3000_DL3029, ...EXAMPLES_DL3030_DL4006 };
export type { RuleExamples };
