import { baseImageOf, type DockerInstruction } from './dockerfile-model';
import { instructionRule, plainStream, type HadolintRule } from './rule';

/**
 * hadolint's label-schema rules (DL3049–DL3058 without DL3054 and DL3057): they run only when a
 * label schema is configured (hadolint's `label-schema:` / `--require-label`), mapping each
 * required label to the type its value must have.
 */
export type LabelType = 'text' | 'url' | 'rfc3339' | 'semver' | 'hash' | 'email';
export type LabelSchema = Readonly<Record<string, LabelType>>;

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
// semver.org's grammar: MAJOR.MINOR.PATCH[-pre-release][+build].
const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*)(?:\.(?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*))*))?(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$/;
// RFC 5322 addr-spec with a dot-atom local part and a domain of dot-separated labels.
const EMAIL = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*@[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/;

/** An absolute URI (scheme and rest), as Network.URI.parseURI accepts. */
function isUri(value: string): boolean {
  if (!/^[A-Za-z][A-Za-z0-9+.-]*:/.test(value) || /\s/.test(value)) return false;
  try {
    new URL(value);
    return true;
  } catch {
    return false;
  }
}

/** Per label of `type`: the rule reporting a LABEL whose value is not valid. */
function valueRules(schema: LabelSchema, type: LabelType, id: string, describe: string, valid: (value: string) => boolean): HadolintRule[] {
  return Object.entries(schema)
    .filter(([, t]) => t === type)
    .map(([label]) =>
      instructionRule({ id, level: 'warning', message: `Label \`${label}\` ${describe}` }, (inst) =>
        inst.keyword !== 'LABEL' || inst.pairs.every((p) => p.name !== label || valid(p.value ?? '')),
      ),
    );
}

/** DL3049: each stage defines the label or builds on a stage that does; COPY --from sources are exempt. */
function missingLabelRule(label: string): HadolintRule {
  return {
    id: 'DL3049',
    level: 'info',
    message: `Label \`${label}\` is missing.`,
    check(instructions, report) {
      const stages: { from: DockerInstruction; alias?: string; good: boolean }[] = [];
      const goodAliases = new Set<string>();
      const copySources = new Set<string>();
      for (const inst of plainStream(instructions)) {
        const current = stages[stages.length - 1];
        if (inst.keyword === 'FROM') {
          const { image, alias } = baseImageOf(inst);
          stages.push({ from: inst, ...(alias ? { alias } : {}), good: goodAliases.has(image) });
        } else if (inst.keyword === 'LABEL' && current && inst.pairs.some((p) => p.name === label)) {
          current.good = true;
        } else if (inst.keyword === 'COPY') {
          const source = inst.flags.find((f) => f.name === 'from')?.value;
          if (source) copySources.add(source);
        }
        if (current?.good && current.alias !== undefined) goodAliases.add(current.alias);
      }
      for (const s of stages) if (!s.good && !(s.alias !== undefined && copySources.has(s.alias))) report(s.from);
    },
  };
}

export function labelSchemaRules(schema: LabelSchema, strictLabels: boolean): HadolintRule[] {
  const labels = Object.keys(schema);
  if (labels.length === 0) return [];
  return [
    ...labels.map(missingLabelRule),
    instructionRule(
      { id: 'DL3050', level: 'info', message: 'Superfluous label(s) present.' },
      (inst) => !strictLabels || inst.keyword !== 'LABEL' || inst.pairs.every((p) => labels.includes(p.name)),
    ),
    ...labels.map((label) =>
      instructionRule({ id: 'DL3051', level: 'warning', message: `label \`${label}\` is empty.` }, (inst) =>
        inst.keyword !== 'LABEL' || inst.pairs.every((p) => p.name !== label || (p.value ?? '') !== ''),
      ),
    ),
    ...valueRules(schema, 'url', 'DL3052', 'is not a valid URL.', isUri),
    ...valueRules(schema, 'rfc3339', 'DL3053', 'is not a valid time format - must be conform to RFC3339.', (v) => RFC3339.test(v)),
    ...valueRules(schema, 'hash', 'DL3055', 'is not a valid git hash.', (v) => /^[0-9a-f]+$/.test(v) && (v.length === 7 || v.length === 40)),
    ...valueRules(schema, 'semver', 'DL3056', 'does not conform to semantic versioning.', (v) => SEMVER.test(v)),
    ...valueRules(schema, 'email', 'DL3058', 'is not a valid email format - must be conform to RFC5322.', (v) => EMAIL.test(v)),
  ];
}
