import { HADOLINT_EXAMPLES } from './hadolint-examples';
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

  it('has positive and negative examples for every implemented rule', () => {
    for (const rule of HADOLINT_RULES) {
      expect({ id: rule.id, catches: HADOLINT_EXAMPLES[rule.id]?.catches.length ?? 0 }).toEqual({ id: rule.id, catches: expect.any(Number) });
      expect(HADOLINT_EXAMPLES[rule.id]?.catches.length).toBeGreaterThan(0);
      expect(HADOLINT_EXAMPLES[rule.id]?.passes.length).toBeGreaterThan(0);
    }
  });
});
