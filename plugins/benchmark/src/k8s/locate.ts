import { load, type State } from 'js-yaml';
import type { BenchmarkCheckResult } from '../report/model';
import type { ManifestObject } from './load';
import { parseFieldPath, type PathSegment } from './paths';
import { KUBERNETES_YAML_SCHEMA } from './yaml';

/**
 * Precise locations: maps a check result's field path (`spec.template.spec.containers[0].image`)
 * to the lines of that field in its file.
 *
 * Positions cost a second parse, so they are only computed for documents that have a result with
 * a path, once per document: the loader keeps each object's document text (`ObjectSource`), and
 * this module re-reads it with js-yaml's `listener`, which reports where every node opens and
 * closes. Within a mapping, nodes come in key/value order, so the tree of positions follows the
 * parsed value. JSON files are YAML, so the same reader serves them.
 */

/** Where an object comes from: its document's text and first line, and its path in that document. */
export interface ObjectSource {
  text: string;
  /** 0-based line of `text`'s first line in the file. */
  firstLine: number;
  /** Segments leading from the document to the object: `[]`, or `['items', i]` for a List item. */
  prefix: PathSegment[];
}

interface PositionNode {
  /** Offset where the node starts (before leading whitespace: use lineAt). */
  start: number;
  /** Offset just after the node (possibly past trailing blank lines and the next line's indentation). */
  end: number;
  /** For a mapping entry's value: offset of its key. */
  keyStart?: number;
  children?: Map<PathSegment, PositionNode>;
}

interface Frame {
  start: number;
  kids: { node: PositionNode; value: unknown }[];
}

/** Parses a document's text recording node positions. Undefined when it does not parse. */
export function positionTree(text: string): PositionNode | undefined {
  const stack: Frame[] = [{ start: 0, kids: [] }];
  const listener = (event: 'open' | 'close', state: State): void => {
    if (event === 'open') {
      stack.push({ start: state.position, kids: [] });
      return;
    }
    const frame = stack.pop();
    const parent = stack[stack.length - 1];
    if (!frame || !parent) return;
    const value: unknown = state.result;
    const node: PositionNode = { start: frame.start, end: state.position };
    const only = frame.kids.length === 1 ? frame.kids[0] : undefined;
    if (only && only.value === value && typeof value === 'object' && value !== null) {
      // A wrapper around the same node (the document around a flow collection): take its children.
      if (only.node.children) node.children = only.node.children;
    } else if (Array.isArray(value)) {
      if (frame.kids.length === value.length) node.children = new Map(frame.kids.map((k, i) => [i, k.node]));
    } else if (typeof value === 'object' && value !== null && frame.kids.length % 2 === 0) {
      // Keys and values alternate. A merge key (`<<`) has no entry of its own: its entries get no position.
      const children = new Map<PathSegment, PositionNode>();
      for (let i = 0; i < frame.kids.length; i += 2) {
        const key = frame.kids[i];
        const val = frame.kids[i + 1];
        if (!key || !val || key.value === '<<') continue;
        children.set(String(key.value), { ...val.node, keyStart: key.node.start });
      }
      node.children = children;
    }
    parent.kids.push({ node, value });
  };
  try {
    load(text, { schema: KUBERNETES_YAML_SCHEMA, json: true, listener });
  } catch {
    return undefined;
  }
  return stack[0]?.kids[0]?.node;
}

export interface LineRange {
  line: number;
  endLine: number;
}

/**
 * 1-based lines (in the file) of the field at `path` within the object from `source`. A field
 * that is not there (a check naming the setting that is missing) resolves to its deepest ancestor
 * that is. Undefined when the document does not parse again or the path is malformed.
 */
export function resolveField(source: ObjectSource, tree: PositionNode | undefined, path: string): LineRange | undefined {
  const segments = parsedPath(path);
  if (!segments || !tree) return undefined;
  let node = tree;
  let complete = true;
  for (const list of [source.prefix, segments]) {
    for (const s of list) {
      const next = complete ? node.children?.get(s) : undefined;
      if (!next) {
        complete = false;
        break;
      }
      node = next;
    }
  }
  const start = node.keyStart ?? node.start;
  const starts = lineStarts(source.text);
  const line = source.firstLine + lineOf(starts, skipBlank(source.text, start));
  const endLine = Math.max(line, source.firstLine + lineOf(starts, lastContent(source.text, node.end, start)));
  return { line, endLine };
}

// Paths repeat across objects (`spec.template.spec.containers[0].image`): parse each once.
const PARSED_PATHS = new Map<string, PathSegment[] | undefined>();
const PARSED_PATHS_LIMIT = 10_000;

function parsedPath(path: string): PathSegment[] | undefined {
  if (PARSED_PATHS.has(path)) return PARSED_PATHS.get(path);
  const segments = parseFieldPath(path);
  if (PARSED_PATHS.size >= PARSED_PATHS_LIMIT) PARSED_PATHS.clear();
  PARSED_PATHS.set(path, segments);
  return segments;
}

// Offsets where each line of a document starts, computed once per document text.
let lastText = '';
let lastStarts: number[] = [0];

function lineStarts(text: string): number[] {
  if (text === lastText) return lastStarts;
  const starts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  lastText = text;
  lastStarts = starts;
  return starts;
}

/**
 * Gives results (other than PASS) that name a field path its lines: `line` becomes the field's
 * first line and `endLine` its last. The object is found by the result's file and line (which checks set to the
 * object's own); results without a path, or whose object is unknown, keep their line.
 */
export function locateResults(results: BenchmarkCheckResult[], objects: readonly ManifestObject[], sourceOf: (o: ManifestObject) => ObjectSource | undefined): void {
  const byPlace = new Map<string, Map<number, ManifestObject>>();
  for (const o of objects) {
    const inFile = byPlace.get(o.file) ?? new Map<number, ManifestObject>();
    inFile.set(o.line, o);
    byPlace.set(o.file, inFile);
  }
  // Results grouped by document text (List items share their document's), so that each
  // document's position tree is built once and dropped as soon as its results are located: a
  // 2,500-object dump then holds one tree at a time, not all of them (bench pss cluster dump:
  // peak RSS 344 MB -> 256 MB, 790 ms -> 577 ms; 141 MB / 324 ms with locating switched off).
  const byDocument = new Map<string, { source: ObjectSource; result: BenchmarkCheckResult }[]>();
  for (const r of results) {
    // A PASS names the field it checked, but is not worth a second parse of its document.
    if (!r.path || !r.file || !r.line || r.status === 'PASS') continue;
    const object = byPlace.get(r.file)?.get(r.line);
    const source = object && sourceOf(object);
    if (!source) continue;
    const group = byDocument.get(source.text);
    if (group) group.push({ source, result: r });
    else byDocument.set(source.text, [{ source, result: r }]);
  }
  for (const [text, group] of byDocument) {
    const tree = positionTree(text);
    for (const { source, result } of group) {
      const range = resolveField(source, tree, result.path ?? '');
      if (!range) continue;
      result.line = range.line;
      result.endLine = range.endLine;
    }
  }
}

function skipBlank(text: string, offset: number): number {
  let pos = offset;
  for (;;) {
    const c = text.charCodeAt(pos);
    if (c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a) pos++;
    else if (c === 0x23) {
      const eol = text.indexOf('\n', pos);
      if (eol === -1) return pos;
      pos = eol;
    } else return pos;
  }
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a;
}

/** Offset of the last character of content before `end` (not whitespace, not a comment-only line). */
function lastContent(text: string, end: number, floor: number): number {
  let pos = Math.min(end, text.length) - 1;
  for (;;) {
    while (pos > floor && isSpace(text.charCodeAt(pos))) pos--;
    const lineStart = text.lastIndexOf('\n', pos) + 1;
    let first = lineStart;
    while (first < pos && (text.charCodeAt(first) === 0x20 || text.charCodeAt(first) === 0x09)) first++;
    if (pos > floor && lineStart > floor && text.charCodeAt(first) === 0x23) {
      pos = lineStart - 1;
      continue;
    }
    return Math.max(pos, floor);
  }
}

/** 1-based line of `offset`, given the offsets where lines start. */
function lineOf(starts: readonly number[], offset: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((starts[mid] ?? 0) <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo + 1;
}
