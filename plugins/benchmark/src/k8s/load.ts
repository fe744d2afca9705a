import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { BadInputError } from '@bulkhead/plugin-sdk';
import { YAMLException } from 'js-yaml';
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
}

export interface LoadedManifests {
  objects: ManifestObject[];
  errors: ManifestError[];
  files: string[];
}

const MANIFEST_EXTENSIONS = new Set(['.yaml', '.yml', '.json']);

/**
 * Reads Kubernetes objects from files and directories (recursively; only .yaml/.yml/.json files
 * inside directories, any file named directly). Multi-document YAML, JSON and `kind: List` (or any
 * `*List` kind with `items`) are expanded. A missing path is a BadInputError; a file that does not
 * parse is reported with its line and skipped.
 */
export async function loadManifests(paths: readonly string[]): Promise<LoadedManifests> {
  if (paths.length === 0) throw new BadInputError('no manifest files or directories given');
  const files: string[] = [];
  for (const p of paths) {
    let info;
    try {
      info = await stat(p);
    } catch {
      throw new BadInputError(`manifest path ${p} does not exist or cannot be read`);
    }
    if (info.isDirectory()) files.push(...(await walk(p)));
    else files.push(p);
  }
  const result: LoadedManifests = { objects: [], errors: [], files };
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      result.errors.push({ file, message: `cannot read: ${(error as Error).message}` });
      continue;
    }
    parseManifestText(text, file, result);
  }
  return result;
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
  // JSON is YAML, but JSON.parse is an order of magnitude faster for the common single-object file.
  if (file.toLowerCase().endsWith('.json')) {
    try {
      addValue(JSON.parse(text), file, 1, into);
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
    addValue(value, file, line, into, items?.map((offset) => doc.firstLine + lineAt(doc.text, offset)));
  }
}

function addValue(value: unknown, file: string, line: number, into: Pick<LoadedManifests, 'objects' | 'errors'>, lines?: number[]): void {
  if (!isObject(value)) {
    into.errors.push({ file, line, message: `${file}:${line}: document is not a Kubernetes object (expected a mapping with kind)` });
    return;
  }
  const kind = str(value['kind']);
  if (kind === '') {
    into.errors.push({ file, line, message: `${file}:${line}: object has no kind` });
    return;
  }
  if (kind.endsWith('List') && Array.isArray(value['items'])) {
    value['items'].forEach((item, i) => addValue(item, file, lines?.[i] || line, into));
    return;
  }
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
