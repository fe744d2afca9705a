import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { runCli } from '../main';

export interface CliRun {
  code: number;
  out: string;
  err: string;
}

/**
 * Runs `bulkhead <args>` in this process from `cwd` and collects what it prints. With `lines`,
 * each write is ended with a newline (a report printed in pieces reads as lines).
 */
export async function runCliIn(cwd: string, args: string[], options: { lines?: boolean } = {}): Promise<CliRun> {
  let out = '';
  let err = '';
  const line = (text: string): string => (options.lines && !text.endsWith('\n') ? `${text}\n` : text);
  const before = process.cwd();
  process.chdir(cwd);
  try {
    const code = await runCli(['node', 'bulkhead', ...args], { out: (t) => (out += line(t)), err: (t) => (err += line(t)) });
    return { code, out, err };
  } finally {
    process.chdir(before);
  }
}

/** Writes `files` (relative path → text) under `dir`, making folders as needed. */
export function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
}
