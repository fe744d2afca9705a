/**
 * kube-bench's compare operations (check/test.go compareOp), with its expected-result texts.
 * `nothave` is kube-bench's spelling; `nothas` is accepted as an alias. An unknown op (there is a
 * `noteqx` typo upstream) gives false with an empty expected text, as kube-bench does.
 */
export interface CompareOutcome {
  expected: string;
  passed: boolean;
}

export function compareOp(op: string, flagValue: string, compareValue: string, flagName: string): CompareOutcome {
  const fmt = (pattern: string): string => sprintf(pattern, flagName, compareValue);
  switch (op) {
    case 'eq': {
      const lower = flagValue.toLowerCase();
      // Booleans compare case-insensitively on the audit side only, like kube-bench.
      const passed = lower === 'true' || lower === 'false' ? lower === compareValue : flagValue === compareValue;
      return { expected: fmt("'%s' is equal to '%s'"), passed };
    }
    case 'noteq': {
      const lower = flagValue.toLowerCase();
      const passed = lower === 'true' || lower === 'false' ? lower !== compareValue : flagValue !== compareValue;
      return { expected: fmt("'%s' is not equal to '%s'"), passed };
    }
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte': {
      const a = parseGoInt(flagValue.trim());
      const b = parseGoInt(compareValue.trim());
      if (a === undefined || b === undefined) {
        return { expected: sprintf("Invalid Number(s) used for comparison: '%s' '%s'", flagValue, compareValue), passed: false };
      }
      if (op === 'gt') return { expected: fmt("'%s' is greater than %s"), passed: a > b };
      if (op === 'gte') return { expected: fmt("'%s' is greater or equal to %s"), passed: a >= b };
      if (op === 'lt') return { expected: fmt("'%s' is lower than %s"), passed: a < b };
      return { expected: fmt("'%s' is lower or equal to %s"), passed: a <= b };
    }
    case 'has':
      return { expected: fmt("'%s' has '%s'"), passed: flagValue.includes(compareValue) };
    case 'nothave':
    case 'nothas':
      return { expected: fmt("'%s' does not have '%s'"), passed: !flagValue.includes(compareValue) };
    case 'regex': {
      let re: RegExp;
      try {
        re = new RegExp(compareValue);
      } catch (error) {
        return { expected: `invalid regex ${JSON.stringify(compareValue)}: ${(error as Error).message}`, passed: false };
      }
      return { expected: fmt("'%s' matched by regex expression '%s'"), passed: re.test(flagValue) };
    }
    case 'valid_elements': {
      const source = splitAndRemoveLastSeparator(flagValue, ',');
      const target = splitAndRemoveLastSeparator(compareValue, ',');
      return { expected: fmt("'%s' contains valid elements from '%s'"), passed: allElementsValid(source, target) };
    }
    case 'bitmask': {
      const requested = parseGoOctal(flagValue);
      if (requested === undefined) return { expected: `Not numeric value - flag: ${flagValue}`, passed: false };
      const max = parseGoOctal(compareValue);
      if (max === undefined) return { expected: `Not numeric value - flag: ${compareValue}`, passed: false };
      // The pattern embeds the audited value itself (kube-bench builds it with string concatenation).
      return { expected: fmt(`%s has permissions ${flagValue}, expected %s or more restrictive`), passed: (max & requested) === requested };
    }
    default:
      return { expected: '', passed: false };
  }
}

export function allElementsValid(source: readonly string[], target: readonly string[]): boolean {
  if (source.length === 0 && target.length === 0) return true;
  if (source.length === 0 || target.length === 0) return false;
  return source.every((s) => target.includes(s));
}

export function splitAndRemoveLastSeparator(s: string, sep: string): string[] {
  let clean = s.trim();
  while (clean.endsWith(sep)) clean = clean.slice(0, -sep.length);
  if (clean.length === 0) return [];
  return clean.split(sep).map((x) => x.trim());
}

/** strconv.Atoi: optional sign and decimal digits only. */
function parseGoInt(s: string): number | undefined {
  return /^[+-]?\d+$/.test(s) ? Number.parseInt(s, 10) : undefined;
}

/** strconv.ParseInt(s, 8, 64). */
function parseGoOctal(s: string): number | undefined {
  return /^[+-]?[0-7]+$/.test(s) ? Number.parseInt(s, 8) : undefined;
}

/** Go's %s substitution, left to right. */
function sprintf(pattern: string, ...args: string[]): string {
  let i = 0;
  return pattern.replace(/%s/g, () => args[i++] ?? '%!s(MISSING)');
}
