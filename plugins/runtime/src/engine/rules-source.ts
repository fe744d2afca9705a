import { readFile } from 'node:fs/promises';
import { fileProblem } from '@bulkhead/plugin-sdk/cli';
import { loadRules, type LoadOptions, type LoadResult, type RulesFile } from './loader';

export interface RulesSource {
  /** Paths of Falco rules files, loaded in order. */
  files?: readonly string[];
  /** Inline rules YAML documents, loaded after the files. */
  inline?: string | readonly string[];
}

/** Reads and loads rules; an unreadable file is an error diagnostic like any other. */
export async function loadRulesFrom(source: RulesSource, options?: LoadOptions): Promise<LoadResult> {
  const files: RulesFile[] = [];
  const unreadable: LoadResult['errors'] = [];
  for (const file of source.files ?? []) {
    try {
      files.push({ name: file, content: await readFile(file, 'utf8') });
    } catch (error) {
      unreadable.push({ severity: 'error', file, line: 1, col: 1, message: `cannot read rules file: ${fileProblem(error)}` });
    }
  }
  const inline = typeof source.inline === 'string' ? [source.inline] : (source.inline ?? []);
  inline.forEach((content, i) => files.push({ name: inline.length === 1 ? '<inline>' : `<inline ${i + 1}>`, content }));
  const result = loadRules(files, options);
  return { ...result, errors: [...unreadable, ...result.errors] };
}
