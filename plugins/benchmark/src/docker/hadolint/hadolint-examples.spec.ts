import { HADOLINT_EXAMPLES } from './examples';
import { HADOLINT_RULES, lintWithHadolintRules } from './lint';

const reported = (id: string, dockerfile: string): boolean => lintWithHadolintRules(dockerfile).some((p) => p.id === id);

const catches = Object.entries(HADOLINT_EXAMPLES).flatMap(([id, ex]) => ex.catches.map((dockerfile) => [id, dockerfile] as const));
const passes = Object.entries(HADOLINT_EXAMPLES).flatMap(([id, ex]) => ex.passes.map((dockerfile) => [id, dockerfile] as const));

describe("hadolint's own rule examples", () => {
  it.each(catches)('%s reports %j', (id, dockerfile) => {
    expect(reported(id, dockerfile)).toBe(true);
  });

  it.each(passes)('%s does not report %j', (id, dockerfile) => {
    expect(reported(id, dockerfile)).toBe(false);
  });

  it('has positive and negative examples for every rule, and examples only for rules that exist', () => {
    const counts = (id: string): [number, number] => [HADOLINT_EXAMPLES[id]?.catches.length ?? 0, HADOLINT_EXAMPLES[id]?.passes.length ?? 0];
    const missing = HADOLINT_RULES.filter((rule) => counts(rule.id).includes(0)).map((rule) => rule.id);
    expect(missing).toEqual([]);
    expect(Object.keys(HADOLINT_EXAMPLES).sort()).toEqual(HADOLINT_RULES.map((rule) => rule.id));
  });
});
