import { baseImageOf } from './dockerfile-model';
import { plainStream, type HadolintRule } from './rule';

/**
 * DL3057: a stage has no HEALTHCHECK of its own nor inherits one from the stage it builds on.
 * hadolint ships it switched off (severity "ignore"); it reports only when the rule is given a
 * level with the `override` option, as with hadolint's `override:` configuration.
 */
export const DL3057: HadolintRule = {
  id: 'DL3057',
  level: 'ignore',
  message: '`HEALTHCHECK` instruction missing.',
  check(instructions, report) {
    const stages: { name: string; good: boolean; from: (typeof instructions)[number] }[] = [];
    const goodNames = new Set<string>();
    for (const inst of plainStream(instructions)) {
      const current = stages[stages.length - 1];
      if (inst.keyword === 'FROM') {
        const { image, alias } = baseImageOf(inst);
        stages.push({ name: alias ?? image, good: goodNames.has(image), from: inst });
      } else if (inst.keyword === 'HEALTHCHECK' && current) {
        current.good = true;
        goodNames.add(current.name);
      }
    }
    for (const s of stages) if (!s.good) report(s.from);
  },
};
