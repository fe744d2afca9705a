import { readFile, stat } from 'node:fs/promises';
import { BadInputError } from '@bulkhead/plugin-sdk';

/*
 * The ignore file: `.bulkheadignore` in the working directory by default, or `--ignorefile FILE`.
 * Trivy's `.trivyignore` format, so an existing file works as it is: one advisory or secret rule
 * id per line, `#` starts a comment (whole line or after the id), and an optional `exp:YYYY-MM-DD`
 * after the id ends the entry's effect after that day (UTC). An id matches a finding by its id or
 * any of its aliases (an ignored CVE also hides the GHSA that names it).
 */

export interface IgnoreEntry {
  id: string;
  /** Last day (inclusive, UTC) the entry applies, as written. */
  expires?: string;
  line: number;
}

export interface IgnoreRules {
  /** The file read, as given. */
  source: string;
  entries: IgnoreEntry[];
  /** Entries past their `exp:` date: no longer applied, reported so the user can drop them. */
  expired: IgnoreEntry[];
}

/** An ignore file larger than this is not an ignore file (a mistaken path): refused. */
const MAX_IGNORE_FILE_BYTES = 4 * 1024 * 1024;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Parses ignore-file text; `now` decides which entries have expired. */
export function parseIgnoreFile(text: string, source: string, now: Date = new Date()): IgnoreRules {
  const rules: IgnoreRules = { source, entries: [], expired: [] };
  const today = now.toISOString().slice(0, 10);
  const lines = text.split(/\r?\n/);
  for (let index = 0; index < lines.length; index++) {
    const raw = lines[index] ?? '';
    const hash = raw.indexOf('#');
    const content = (hash >= 0 ? raw.slice(0, hash) : raw).trim();
    if (!content) continue;
    const [id = '', ...rest] = content.split(/\s+/);
    const entry: IgnoreEntry = { id, line: index + 1 };
    for (const field of rest) {
      const exp = /^exp:(.*)$/.exec(field);
      if (!exp) throw new BadInputError(`${source}:${index + 1}: unexpected ${JSON.stringify(field)} after ${id} (expected exp:YYYY-MM-DD or a # comment)`);
      const date = exp[1] ?? '';
      const parts = DATE.exec(date);
      if (!parts || Number.isNaN(Date.parse(`${date}T00:00:00Z`)) || new Date(`${date}T00:00:00Z`).toISOString().slice(0, 10) !== date) {
        throw new BadInputError(`${source}:${index + 1}: ${JSON.stringify(date)} is not a date (exp:YYYY-MM-DD)`);
      }
      entry.expires = date;
    }
    if (entry.expires !== undefined && entry.expires < today) rules.expired.push(entry);
    else rules.entries.push(entry);
  }
  return rules;
}

/**
 * Reads an ignore file. `required` is false for the default `.bulkheadignore`: a missing default
 * file is no ignore rules, a missing `--ignorefile` is an error.
 */
export async function readIgnoreFile(file: string, required: boolean, now?: Date): Promise<IgnoreRules | undefined> {
  let size: number;
  try {
    const info = await stat(file);
    if (!info.isFile()) throw new BadInputError(`ignore file ${file} is not a regular file`);
    size = info.size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' && !required) return undefined;
    if (error instanceof BadInputError) throw error;
    throw new BadInputError(`cannot read ignore file ${file}: ${(error as Error).message}`);
  }
  if (size > MAX_IGNORE_FILE_BYTES) throw new BadInputError(`ignore file ${file} is ${size} bytes, over the ${MAX_IGNORE_FILE_BYTES}-byte limit`);
  return parseIgnoreFile(await readFile(file, 'utf8'), file, now);
}

/** The entry that ignores a finding with this id and aliases, if any. */
export function ignoreEntryFor(rules: IgnoreRules, ids: readonly string[]): IgnoreEntry | undefined {
  return rules.entries.find((entry) => ids.includes(entry.id));
}
