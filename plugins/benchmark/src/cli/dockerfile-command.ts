import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { checkDockerfile } from '../docker/dockerfile';
import { usageError } from '@bulkhead/plugin-sdk/cli';
import { benchmarkReport, type BenchmarkReport } from '../report/model';
import { renderReport, validateOutputOptions, type BenchCommandOutput, type BenchOutputOptions, type InputError } from './bench-output';
import { readDockerfileInput } from './dockerfile-input';

/** Options of `bulkhead bench dockerfile <file|dir...> [--format F] [--exit-code N]`. */
export interface BenchDockerfileOptions extends BenchOutputOptions {
  /** One Dockerfile (kept for callers of the single-file form). */
  file?: string;
  /** Dockerfiles and directories to search for them. */
  paths?: string[];
}

/** Names a directory walk takes for Dockerfiles: `Dockerfile`, `Dockerfile.*`, `*.Dockerfile`, `Containerfile`. */
export function isDockerfileName(name: string): boolean {
  return name === 'Dockerfile' || name === 'Containerfile' || name.startsWith('Dockerfile.') || (name.endsWith('.Dockerfile') && name.length > '.Dockerfile'.length);
}

// Folders a walk does not enter: version control data and installed dependencies.
const SKIPPED_DIRS = new Set(['.git', 'node_modules']);

/**
 * `bench dockerfile` as a pure function: every Dockerfile named or found, in one report. A file
 * that cannot be read or is not a Dockerfile is an error (exit 1) named in the output; the
 * others are still checked.
 */
export async function runBenchDockerfile(options: BenchDockerfileOptions): Promise<BenchCommandOutput> {
  const paths = options.paths ?? (options.file !== undefined ? [options.file] : []);
  validateOutputOptions(options);
  if (paths.length === 0) throw usageError('no Dockerfile or directory given');
  const files: string[] = [];
  const errors: InputError[] = [];
  for (const p of paths) {
    const info = await stat(p).catch(() => undefined);
    if (info?.isDirectory()) {
      const found = await findDockerfiles(p);
      if (found.length === 0) errors.push({ file: p, message: `no Dockerfile under ${p} (looked for Dockerfile, Dockerfile.*, *.Dockerfile, Containerfile)` });
      files.push(...found);
    } else files.push(p); // a missing file is reported by readDockerfileInput
  }
  const reports: BenchmarkReport[] = [];
  for (const [index, file] of files.entries()) {
    options.onProgress?.(index / files.length, `checking ${file} (${index + 1} of ${files.length})`);
    const input = await readDockerfileInput(file);
    if ('errors' in input) errors.push(...input.errors);
    else reports.push(checkDockerfile(input.text, file));
  }
  const report = files.length === 1 && reports[0] ? reports[0] : benchmarkReport(`Dockerfile checks of ${files.length === 1 ? files[0] : `${files.length} files`}`, reports.flatMap((r) => r.results));
  return renderReport(report, options, { informationUri: 'https://github.com/hadolint/hadolint#rules', errors });
}

/** Dockerfiles under `dir`, recursively, in name order. */
export async function findDockerfiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const out: string[] = [];
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory() && !SKIPPED_DIRS.has(entry.name)) out.push(...(await findDockerfiles(full)));
    else if (entry.isFile() && isDockerfileName(entry.name)) out.push(full);
  }
  return out;
}
