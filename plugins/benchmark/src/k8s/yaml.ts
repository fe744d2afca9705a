import { FAILSAFE_SCHEMA, load, Type, YAMLException, type State } from 'js-yaml';

/**
 * YAML reading for Kubernetes manifests, with js-yaml and the scalar resolution Kubernetes uses.
 *
 * js-yaml is this plugin's one YAML library (manifests, kube-bench controls, config and audit
 * output). Measured on this repository's inputs (median of 7 passes, one core): the 4,537 PSA
 * fixture manifests (2.0 MB) parse in 159 ms with js-yaml and 1,770 ms with the `yaml` package
 * (11x); the 276 kube-bench cfg files (3.3 MB) in 74 ms and 973 ms (13x). js-yaml is also as
 * lenient as libyaml about the under-indented quoted continuation lines of 22 upstream kube-bench
 * files, which `yaml` rejects. (The runtime plugin keeps `yaml` for the node positions its rule
 * diagnostics need.)
 *
 * Kubernetes reads YAML with sigs.k8s.io/yaml, which decodes with go-yaml v2 into untyped values
 * and converts them to JSON. go-yaml v2 resolves plain scalars as YAML 1.1 does: `yes`/`on`/`y`
 * are true, `no`/`off`/`n` false, `0755` is octal, `1_000` an int, `<<` a merge key; timestamps
 * stay strings. So `privileged: yes` is a privileged container to the API server, and must be one
 * here. Duplicate keys are allowed (the last one wins), as with go-yaml v2's Unmarshal.
 */

const BOOLS = new Map<string, boolean>([
  ...['y', 'Y', 'yes', 'Yes', 'YES', 'true', 'True', 'TRUE', 'on', 'On', 'ON'].map((s) => [s, true] as const),
  ...['n', 'N', 'no', 'No', 'NO', 'false', 'False', 'FALSE', 'off', 'Off', 'OFF'].map((s) => [s, false] as const),
]);

const NULLS = new Set(['', '~', 'null', 'Null', 'NULL']);

const SPECIAL_FLOATS = new Map<string, number>([
  ...['.nan', '.NaN', '.NAN'].map((s) => [s, Number.NaN] as const),
  ...['.inf', '.Inf', '.INF', '+.inf', '+.Inf', '+.INF'].map((s) => [s, Number.POSITIVE_INFINITY] as const),
  ...['-.inf', '-.Inf', '-.INF'].map((s) => [s, Number.NEGATIVE_INFINITY] as const),
]);

// Go's strconv.ParseInt(s, 0, 64) after go-yaml removed underscores: sign, then 0x/0o/0b, a
// leading-zero octal, or decimal.
const GO_INT = /^[-+]?(?:0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$/;
// go-yaml v2's yamlStyleFloat (tried after the int forms fail, e.g. `089`, `1e3`, `1.5`).
const GO_FLOAT = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$/;

function goNumber(data: string): number | undefined {
  const first = data.charCodeAt(0);
  const signOrDigit = first === 0x2b || first === 0x2d || (first >= 0x30 && first <= 0x39);
  if (signOrDigit) {
    const plain = data.includes('_') ? data.replace(/_/g, '') : data;
    if (GO_INT.test(plain)) return parseGoInt(plain);
    if (GO_FLOAT.test(plain)) return Number(plain) || 0;
    return undefined;
  }
  // go-yaml v2 hands a scalar starting with '.' straight to strconv.ParseFloat.
  if (first === 0x2e && /^\.[0-9]+(?:[eE][-+]?[0-9]+)?$/.test(data)) return Number(data);
  return undefined;
}

function parseGoInt(plain: string): number {
  const negative = plain.startsWith('-');
  const digits = plain.startsWith('-') || plain.startsWith('+') ? plain.slice(1) : plain;
  const prefix = digits.slice(0, 2).toLowerCase();
  let value: number;
  if (prefix === '0x') value = parseInt(digits.slice(2), 16);
  else if (prefix === '0o') value = parseInt(digits.slice(2), 8);
  else if (prefix === '0b') value = parseInt(digits.slice(2), 2);
  else if (digits.length > 1 && digits.startsWith('0')) value = parseInt(digits.slice(1), 8);
  else value = Number(digits);
  return negative && value !== 0 ? -value : value;
}

const nullType = new Type('tag:yaml.org,2002:null', {
  kind: 'scalar',
  resolve: (data: string | null) => data === null || NULLS.has(data),
  construct: () => null,
});

const boolType = new Type('tag:yaml.org,2002:bool', {
  kind: 'scalar',
  resolve: (data: string) => BOOLS.has(data),
  construct: (data: string) => BOOLS.get(data),
});

const intType = new Type('tag:yaml.org,2002:int', {
  kind: 'scalar',
  resolve: (data: string) => {
    const first = data.charCodeAt(0);
    if (!(first === 0x2b || first === 0x2d || (first >= 0x30 && first <= 0x39))) return false;
    return GO_INT.test(data.includes('_') ? data.replace(/_/g, '') : data);
  },
  construct: (data: string) => parseGoInt(data.includes('_') ? data.replace(/_/g, '') : data),
});

const floatType = new Type('tag:yaml.org,2002:float', {
  kind: 'scalar',
  resolve: (data: string) => SPECIAL_FLOATS.has(data) || goNumber(data) !== undefined,
  construct: (data: string) => SPECIAL_FLOATS.get(data) ?? goNumber(data),
});

// js-yaml merges a mapping into its parent for any key resolved to this tag.
const mergeType = new Type('tag:yaml.org,2002:merge', {
  kind: 'scalar',
  resolve: (data: string | null) => data === '<<',
});

/** Strings, sequences, mappings, plus go-yaml v2's implicit null/bool/int/float and `<<` merge keys. */
export const KUBERNETES_YAML_SCHEMA = FAILSAFE_SCHEMA.extend({ implicit: [nullType, boolType, intType, floatType, mergeType] });

/** One document's text within a stream, with where it starts. */
export interface YamlDocumentText {
  text: string;
  /** 0-based line of the document's first line (its `---` marker or directives, if any) in the stream. */
  firstLine: number;
}

/**
 * Splits a YAML stream into its documents. A line starting with `---` or `...` followed by a space,
 * a tab or the line's end is a document marker per the YAML spec wherever it appears, even inside
 * a block or quoted scalar, so the split needs no parsing. `---` starts a document (comments and
 * directives just before it belong to it); `...` ends one. A split document still carries its own
 * `---` line, so js-yaml sees explicit documents as explicit.
 */
export function splitYamlDocuments(stream: string): YamlDocumentText[] {
  const docs: YamlDocumentText[] = [];
  let start = 0;
  let startLine = 0;
  let hasContent = false;
  let lineNo = 0;
  let pos = 0;
  const length = stream.length;
  const flush = (end: number) => {
    if (hasContent) docs.push({ text: stream.slice(start, end), firstLine: startLine });
  };
  while (pos < length) {
    let eol = stream.indexOf('\n', pos);
    if (eol === -1) eol = length;
    const c = stream.charCodeAt(pos);
    if ((c === 0x2d || c === 0x2e) && isMarker(stream, pos, eol, c)) {
      if (c === 0x2d) {
        // `---`: a new document unless only comments/directives precede it in this one.
        if (hasContent) {
          flush(pos);
          start = pos;
          startLine = lineNo;
        }
        hasContent = true;
      } else {
        // `...`: the document ends with this line; what follows is a new (possibly bare) document.
        flush(eol);
        start = eol + 1;
        startLine = lineNo + 1;
        hasContent = false;
      }
    } else if (!hasContent && !isBlankCommentOrDirective(stream, pos, eol)) {
      hasContent = true;
    }
    pos = eol + 1;
    lineNo++;
  }
  flush(length);
  return docs;
}

function isMarker(s: string, pos: number, eol: number, c: number): boolean {
  if (s.charCodeAt(pos + 1) !== c || s.charCodeAt(pos + 2) !== c) return false;
  if (pos + 3 >= eol) return true;
  const next = s.charCodeAt(pos + 3);
  return next === 0x20 || next === 0x09 || next === 0x0d;
}

function isBlankCommentOrDirective(s: string, pos: number, eol: number): boolean {
  if (s.charCodeAt(pos) === 0x25 /* % */) return true;
  for (let i = pos; i < eol; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x20 || c === 0x09 || c === 0x0d || c === 0xfeff) continue;
    return c === 0x23; /* # */
  }
  return true;
}

/**
 * 0-based line (within the document) where its content starts: the first line that is not blank,
 * a comment, a directive or a bare `---` marker (`--- {a: 1}` starts on the marker's line).
 */
export function contentStartLine(doc: string): number {
  let pos = 0;
  let line = 0;
  while (pos < doc.length) {
    let eol = doc.indexOf('\n', pos);
    if (eol === -1) eol = doc.length;
    const c = doc.charCodeAt(pos);
    let from = pos;
    if (c === 0x2d && isMarker(doc, pos, eol, c)) from = pos + 3;
    if (!isBlankCommentOrDirective(doc, from, eol) || (from !== pos && !isBlankOrComment(doc, from, eol))) return line;
    pos = eol + 1;
    line++;
  }
  return 0;
}

function isBlankOrComment(s: string, pos: number, eol: number): boolean {
  for (let i = pos; i < eol; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x20 || c === 0x09 || c === 0x0d) continue;
    return c === 0x23;
  }
  return true;
}

/** A parsed document: its value, and for a top-level mapping the start offsets of its sequences' items. */
export interface ParsedYamlDocument {
  value: unknown;
  /** For each sequence that is a value of the top-level mapping: the offsets where its items start. */
  itemOffsets: Map<unknown, number[]>;
}

/**
 * Parses one document (from `splitYamlDocuments`) with the Kubernetes schema. Throws js-yaml's
 * YAMLException (with `mark.line` relative to the document) on a syntax error.
 */
export function parseYamlDocument(text: string): ParsedYamlDocument {
  const itemOffsets = new Map<unknown, number[]>();
  // js-yaml reports every node it composes: depth 1 is the document's node, 2 the top-level keys
  // and values, 3 their children. Recording depth-3 starts gives each List item's position.
  let depth = 0;
  let children: number[] = [];
  const listener = (event: 'open' | 'close', state: State) => {
    if (event === 'open') {
      depth++;
      if (depth === 2) children = [];
      else if (depth === 3) children.push(state.position);
    } else {
      if (depth === 2 && Array.isArray(state.result) && state.result.length === children.length && children.length > 0) itemOffsets.set(state.result, children);
      depth--;
    }
  };
  const value = load(text, { schema: KUBERNETES_YAML_SCHEMA, json: true, listener });
  checkAliasExpansion(text, value);
  return { value, itemOffsets };
}

/**
 * Aliases make js-yaml share one object; code walking the result would still visit it once per
 * alias, so nested aliases (the "billion laughs") blow up later. A document whose expansion is far
 * larger than its text is rejected, as the `yaml` package's maxAliasCount and go-yaml's alias
 * ratio limit do.
 */
function checkAliasExpansion(text: string, value: unknown): void {
  if (!text.includes('&') || !text.includes('*')) return;
  const limit = 10 * text.length + 10_000;
  let count = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (++count > limit) throw new YAMLException(`excessive aliasing: the document expands to more than ${limit} nodes`);
    if (Array.isArray(v)) stack.push(...(v as unknown[]));
    else if (typeof v === 'object' && v !== null) stack.push(...Object.values(v));
  }
}

/** 1-based line of `offset`'s next non-blank, non-comment character in `text`. */
export function lineAt(text: string, offset: number): number {
  let pos = offset;
  for (;;) {
    const c = text.charCodeAt(pos);
    if (c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a) pos++;
    else if (c === 0x23) {
      const eol = text.indexOf('\n', pos);
      if (eol === -1) break;
      pos = eol;
    } else break;
  }
  let line = 1;
  for (let i = text.indexOf('\n'); i !== -1 && i < pos; i = text.indexOf('\n', i + 1)) line++;
  return line;
}
