/**
 * The subset of Kubernetes JSONPath (k8s.io/client-go/util/jsonpath) that kube-bench control
 * files use, with `AllowMissingKeys(true)` as kube-bench sets it: `{.a.b-c}`, `['key']`, `[n]`,
 * `[*]`, `[:]`/`[a:b]` slices, `.*`, `..field` (recursive), `{range ...}...{end}`, `{@}`/`{}` and
 * quoted literals `{','}`. A missing key yields no output; a malformed template is an error.
 * Written here because no maintained npm package implements the Kubernetes dialect (templates
 * with text, range/end and Go value printing); JSONPath libraries only evaluate single queries.
 */

type Step =
  | { kind: 'field'; name: string }
  | { kind: 'wildcard' }
  | { kind: 'recursive'; name: string | null }
  | { kind: 'index'; index: number }
  | { kind: 'slice'; start?: number; end?: number };

type TemplateNode =
  | { kind: 'text'; text: string }
  | { kind: 'path'; steps: Step[] }
  | { kind: 'range'; steps: Step[]; body: TemplateNode[] };

export class JsonPathError extends Error {
  override readonly name = 'JsonPathError';
}

/** Evaluates a template against parsed JSON/YAML data and prints the result like kubectl does. */
export function executeJsonPath(template: string, data: unknown): string {
  const nodes = parseTemplate(template);
  return render(nodes, data);
}

function render(nodes: TemplateNode[], current: unknown): string {
  let out = '';
  for (const node of nodes) {
    if (node.kind === 'text') out += node.text;
    else if (node.kind === 'path') out += evaluate(node.steps, current).map(printValue).join(' ');
    else for (const item of evaluate(node.steps, current).flatMap(rangeItems)) out += render(node.body, item);
  }
  return out;
}

/** `range` iterates over the elements of an array result (or the values of a map). */
function rangeItems(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  if (isObject(value)) return Object.values(value);
  return [value];
}

function parseTemplate(template: string): TemplateNode[] {
  const root: TemplateNode[] = [];
  const stack: TemplateNode[][] = [root];
  const ranges: Extract<TemplateNode, { kind: 'range' }>[] = [];
  const top = (): TemplateNode[] => stack[stack.length - 1] ?? root;
  let i = 0;
  while (i < template.length) {
    const open = template.indexOf('{', i);
    if (open < 0) {
      top().push({ kind: 'text', text: template.slice(i) });
      break;
    }
    if (open > i) top().push({ kind: 'text', text: template.slice(i, open) });
    const close = findClose(template, open);
    if (close < 0) throw new JsonPathError(`unclosed action in ${JSON.stringify(template)}`);
    const action = template.slice(open + 1, close).trim();
    i = close + 1;
    const quoted = /^'((?:[^'\\]|\\.)*)'$|^"((?:[^"\\]|\\.)*)"$/.exec(action);
    if (quoted) {
      top().push({ kind: 'text', text: unescape(quoted[1] ?? quoted[2] ?? '') });
    } else if (action === 'end') {
      if (ranges.length === 0) throw new JsonPathError(`not in range, nothing to end in ${JSON.stringify(template)}`);
      ranges.pop();
      stack.pop();
    } else if (action.startsWith('range ') || action === 'range') {
      const node = { kind: 'range' as const, steps: parsePath(action.slice(5).trim(), template), body: [] as TemplateNode[] };
      top().push(node);
      ranges.push(node);
      stack.push(node.body);
    } else {
      top().push({ kind: 'path', steps: parsePath(action, template) });
    }
  }
  if (ranges.length > 0) throw new JsonPathError(`range without end in ${JSON.stringify(template)}`);
  return root;
}

function findClose(template: string, open: number): number {
  let quote: string | null = null;
  for (let j = open + 1; j < template.length; j++) {
    const c = template.charAt(j);
    if (quote) {
      if (c === '\\') j++;
      else if (c === quote) quote = null;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === '}') return j;
  }
  return -1;
}

function unescape(s: string): string {
  return s.replace(/\\(.)/g, (_m, c: string) => (c === 'n' ? '\n' : c === 't' ? '\t' : c));
}

function parsePath(expr: string, template: string): Step[] {
  const steps: Step[] = [];
  let i = 0;
  if (expr === '' || expr === '@') return steps;
  if (expr[0] === '@' || expr[0] === '$') i = 1;
  while (i < expr.length) {
    const c = expr.charAt(i);
    if (c === '.') {
      if (expr[i + 1] === '.') {
        i += 2;
        const m = /^[^.[\]\s]*/.exec(expr.slice(i))?.[0] ?? '';
        i += m.length;
        steps.push({ kind: 'recursive', name: m === '' || m === '*' ? null : m });
        continue;
      }
      i++;
      const m = /^[^.[\]\s]*/.exec(expr.slice(i))?.[0] ?? '';
      i += m.length;
      if (m === '*') steps.push({ kind: 'wildcard' });
      else if (m !== '') steps.push({ kind: 'field', name: m });
    } else if (c === '[') {
      const end = expr.indexOf(']', i);
      if (end < 0) throw new JsonPathError(`unterminated array in ${JSON.stringify(template)}`);
      const inner = expr.slice(i + 1, end).trim();
      i = end + 1;
      steps.push(parseBracket(inner, template));
    } else {
      throw new JsonPathError(`unrecognized character ${JSON.stringify(c)} in ${JSON.stringify(template)}`);
    }
  }
  return steps;
}

function parseBracket(inner: string, template: string): Step {
  if (inner === '*') return { kind: 'wildcard' };
  const quoted = /^'([^']*)'$|^"([^"]*)"$/.exec(inner);
  if (quoted) return { kind: 'field', name: quoted[1] ?? quoted[2] ?? '' };
  if (/^-?\d+$/.test(inner)) return { kind: 'index', index: Number(inner) };
  const slice = /^(-?\d*)\s*:\s*(-?\d*)$/.exec(inner);
  if (slice) {
    return {
      kind: 'slice',
      ...(slice[1] !== '' ? { start: Number(slice[1]) } : {}),
      ...(slice[2] !== '' ? { end: Number(slice[2]) } : {}),
    };
  }
  throw new JsonPathError(`unsupported array expression [${inner}] in ${JSON.stringify(template)}`);
}

function evaluate(steps: Step[], input: unknown): unknown[] {
  let values: unknown[] = input === null || input === undefined ? [] : [input];
  for (const step of steps) values = values.flatMap((v) => applyStep(step, v));
  return values;
}

function applyStep(step: Step, value: unknown): unknown[] {
  if (value === null || value === undefined) return [];
  switch (step.kind) {
    case 'field':
      return isObject(value) && Object.prototype.hasOwnProperty.call(value, step.name) && value[step.name] !== undefined ? [value[step.name]] : [];
    case 'wildcard':
      return Array.isArray(value) ? value : isObject(value) ? Object.keys(value).sort().map((k) => value[k]) : [];
    case 'index': {
      if (!Array.isArray(value)) return [];
      const idx = step.index < 0 ? value.length + step.index : step.index;
      return idx >= 0 && idx < value.length ? [value[idx]] : [];
    }
    case 'slice': {
      if (!Array.isArray(value)) return [];
      return value.slice(step.start ?? 0, step.end ?? value.length);
    }
    case 'recursive':
      return descend(value, step.name);
  }
}

function descend(value: unknown, name: string | null): unknown[] {
  const out: unknown[] = [];
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) {
      if (name === null) out.push(...v);
      v.forEach(visit);
    } else if (isObject(v)) {
      for (const key of Object.keys(v).sort()) {
        if (name === null || key === name) out.push(v[key]);
        visit(v[key]);
      }
    }
  };
  visit(value);
  return out;
}

/** Go's fmt printing of decoded JSON/YAML values, as the jsonpath printer uses it. */
export function printValue(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === null || value === undefined) return '<nil>';
  if (Array.isArray(value)) return `[${value.map(printValue).join(' ')}]`;
  if (isObject(value)) {
    return `map[${Object.keys(value)
      .sort()
      .map((k) => `${k}:${printValue(value[k])}`)
      .join(' ')}]`;
  }
  return String(value);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
