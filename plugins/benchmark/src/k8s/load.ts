import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { BadInputError } from '@bulkhead/plugin-sdk';
import { YAMLException } from 'js-yaml';
import type { ObjectSource } from './locate';
import { isObject, obj, str, type KObject } from './objects';
import { contentStartLine, lineAt, parseYamlDocument, splitYamlDocuments } from './yaml';

/** One Kubernetes object read from a manifest file. */
export interface ManifestObject {
  kind: string;
  apiVersion: string;
  /** `metadata.namespace` as written ("" when unset: the namespace is decided at apply time). */
  namespace: string;
  name: string;
  /** File path as given (or found under a given directory). */
  file: string;
  /** 1-based line where the object's document (or List item) starts. */
  line: number;
  object: KObject;
}

/** A file or document that could not be read; the other files are still evaluated. */
export interface ManifestError {
  file: string;
  line?: number;
  message: string;
  /** The document parsed but is not a Kubernetes object (no apiVersion or kind); only used while loading. */
  notKubernetes?: boolean;
}

/** A file found in a directory that holds no Kubernetes object (a workflow, a compose file, Helm values ...). */
export interface SkippedFile {
  file: string;
  reason: string;
}

export interface LoadedManifests {
  objects: ManifestObject[];
  errors: ManifestError[];
  files: string[];
  /** Files found by walking a directory that are not Kubernetes manifests; not errors. */
  skippedFiles?: SkippedFile[];
}

export interface LoadOptions {
  /** Called before each file is read (`index` of `count`): the CLI's progress line. */
  onFile?: (index: number, count: number, file: string) => void;
  /** Reads standard input, for the path `-` (the CLI passes one; tasks have no standard input). */
  readStdin?: () => Promise<string>;
}

const MANIFEST_EXTENSIONS = new Set(['.yaml', '.yml', '.json']);

/** The file name results carry for objects read from standard input. */
export const STDIN_FILE = '<stdin>';

// Each object's document text, for the location resolver (kept off the object so that
// serialising a ManifestObject stays as it was).
const sources = new WeakMap<KObject, ObjectSource>();

/** The document an object was read from (undefined for objects built in code). */
export function sourceOf(o: Pick<ManifestObject, 'object'>): ObjectSource | undefined {
  return sources.get(o.object);
}

/**
 * Reads Kubernetes objects from files and directories (recursively; only .yaml/.yml/.json files
 * inside directories, any file named directly) and, for `-`, from standard input (`helm template
 * … | bulkhead bench k8s -`). Multi-document YAML, JSON and `kind: List` (or any `*List` kind with
 * `items`) are expanded. A missing path is a BadInputError; a file that does not parse is reported
 * with its line and skipped. A file found in a directory that holds no Kubernetes object (no
 * document with `apiVersion` and `kind`: GitHub workflows, compose files, Helm values, Chart.yaml,
 * unrendered Helm templates) is listed in `skippedFiles`, not an error.
 */
export async function loadManifests(paths: readonly string[], options: LoadOptions = {}): Promise<LoadedManifests> {
  if (paths.length === 0) throw new BadInputError('no manifest files or directories given');
  const files: string[] = [];
  const walked = new Set<string>();
  let stdinText: string | undefined;
  for (const p of paths) {
    if (p === '-') {
      if (!options.readStdin) throw new BadInputError('"-" (standard input) is only accepted on the command line');
      if (stdinText !== undefined) throw new BadInputError('"-" (standard input) given more than once');
      stdinText = await options.readStdin();
      files.push(STDIN_FILE);
      continue;
    }
    let info;
    try {
      info = await stat(p);
    } catch {
      throw new BadInputError(`manifest path ${p} does not exist or cannot be read`);
    }
    if (info.isDirectory()) {
      for (const f of await walk(p)) {
        walked.add(f);
        files.push(f);
      }
    } else files.push(p);
  }
  const result: LoadedManifests = { objects: [], errors: [], files: [], skippedFiles: [] };
  for (const [index, file] of files.entries()) {
    options.onFile?.(index, files.length, file);
    let text: string;
    if (file === STDIN_FILE && stdinText !== undefined) text = stdinText;
    else {
      try {
        text = await readFile(file, 'utf8');
      } catch (error) {
        result.errors.push({ file, message: `cannot read: ${(error as Error).message}` });
        continue;
      }
    }
    if (!walked.has(file)) {
      result.files.push(file);
      parseManifestText(text, file, result);
      continue;
    }
    // A file found in a directory counts only when it holds Kubernetes objects.
    const one: Pick<LoadedManifests, 'objects' | 'errors'> = { objects: [], errors: [] };
    parseInto(text, file, one);
    // (An object without apiVersion is still read from a file named directly, as before.)
    const reason = one.objects.every((o) => o.apiVersion === '') ? notKubernetesReason(text, one.errors) : undefined;
    if (reason) {
      result.skippedFiles?.push({ file, reason });
      continue;
    }
    result.files.push(file);
    result.objects.push(...one.objects);
    result.errors.push(...one.errors.map(withoutFlag));
  }
  return result;
}

/**
 * Why a file without objects is not a manifest (undefined when it looks like a broken one): every
 * document parsed and none has apiVersion and kind, or it is a Go template that does not parse.
 */
function notKubernetesReason(text: string, errors: readonly ManifestError[]): string | undefined {
  if (errors.every((e) => e.notKubernetes)) return 'no Kubernetes objects (no document with apiVersion and kind)';
  if (text.includes('{{')) return 'a Go template (Helm chart template?): render it first, e.g. helm template … | bulkhead bench k8s -';
  return undefined;
}

async function walk(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const out: string[] = [];
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await walk(full)));
    else if (entry.isFile() && MANIFEST_EXTENSIONS.has(path.extname(entry.name).toLowerCase())) out.push(full);
  }
  return out;
}

/** Parses one file's text into objects (appended to `into.objects`) and errors (to `into.errors`). */
export function parseManifestText(text: string, file: string, into: Pick<LoadedManifests, 'objects' | 'errors'>): void {
  const one: Pick<LoadedManifests, 'objects' | 'errors'> = { objects: [], errors: [] };
  parseInto(text, file, one);
  into.objects.push(...one.objects);
  into.errors.push(...one.errors.map(withoutFlag));
}

function withoutFlag({ notKubernetes: _, ...error }: ManifestError): ManifestError {
  return error;
}

function parseInto(text: string, file: string, into: Pick<LoadedManifests, 'objects' | 'errors'>): void {
  // JSON is YAML, but JSON.parse is an order of magnitude faster for the common single-object file.
  if (file.toLowerCase().endsWith('.json')) {
    try {
      addValue(JSON.parse(text), file, 1, into, { text, firstLine: 0, prefix: [] });
      return;
    } catch {
      // fall through: the YAML parser gives a line number for the error
    }
  }
  // Documents are parsed one at a time so that an invalid one is reported with its line while the
  // others are still read, and only one document's values are being built at once.
  for (const doc of splitYamlDocuments(text)) {
    let parsed;
    try {
      parsed = parseYamlDocument(doc.text);
    } catch (error) {
      const mark = error instanceof YAMLException ? error.mark : undefined;
      const line = doc.firstLine + (mark ? mark.line : contentStartLine(doc.text)) + 1;
      const reason = error instanceof YAMLException ? error.reason : (error as Error).message;
      into.errors.push({ file, line, message: `invalid YAML at ${file}:${line}: ${firstLine(reason)}` });
      continue;
    }
    const { value, itemOffsets } = parsed;
    if (value === null || value === undefined) continue; // empty document, e.g. a trailing `---`
    const line = doc.firstLine + contentStartLine(doc.text) + 1;
    const items = isObject(value) ? itemOffsets.get(value['items']) : undefined;
    const source = { text: doc.text, firstLine: doc.firstLine, prefix: [] };
    addValue(value, file, line, into, source, items?.map((offset) => doc.firstLine + lineAt(doc.text, offset)));
  }
}

function addValue(value: unknown, file: string, line: number, into: Pick<LoadedManifests, 'objects' | 'errors'>, source: ObjectSource, lines?: number[]): void {
  if (!isObject(value)) {
    into.errors.push({ file, line, message: `${file}:${line}: document is not a Kubernetes object (expected a mapping with kind)`, notKubernetes: true });
    return;
  }
  const kind = str(value['kind']);
  if (kind === '') {
    into.errors.push({ file, line, message: `${file}:${line}: object has no kind`, notKubernetes: true });
    return;
  }
  if (kind.endsWith('List') && Array.isArray(value['items'])) {
    value['items'].forEach((item, i) => addValue(item, file, lines?.[i] || line, into, { ...source, prefix: [...source.prefix, 'items', i] }));
    return;
  }
  sources.set(value, source);
  const metadata = obj(value['metadata']);
  into.objects.push({
    kind,
    apiVersion: str(value['apiVersion']),
    namespace: str(metadata?.['namespace']),
    name: str(metadata?.['name']) || str(metadata?.['generateName']),
    file,
    line,
    object: value,
  });
}

function firstLine(message: string): string {
  return (message.split('\n')[0] ?? '').trim();
}

/** `Kind/namespace/name` (or `Kind/name` without a namespace): the finding target of an object. */
export function objectRef(o: Pick<ManifestObject, 'kind' | 'namespace' | 'name'>): string {
  return o.namespace ? `${o.kind}/${o.namespace}/${o.name}` : `${o.kind}/${o.name}`;
}
