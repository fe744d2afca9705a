import { BadInputError } from '@bulkhead/plugin-sdk';
import { readFile } from 'node:fs/promises';
import { cannotReadMessage, usageError, type IgnoreRule } from '@bulkhead/plugin-sdk/cli';
import { BENCHMARK_PLUGIN_VERSION } from '../plugin';
import { formatReport, REPORT_FORMATS, type BenchmarkReport, type ReportFormat } from '../report';
import { applyIgnores, ignoredNotice, parseIgnoreIds } from './ignore';

/** What every `bench` command returns: text for stdout and the process exit code. */
export interface BenchCommandOutput {
  output: string;
  exitCode: number;
  /** A line for standard error (e.g. how many results `--ignore` left out). */
  notice?: string;
}

/** Options every `bench` command shares. */
export interface BenchOutputOptions {
  /** `--format table|json|sarif|junit` (default table). */
  format?: string;
  /** `--exit-code N`: exit code when any check FAILs (default 0). */
  exitCode?: number | string;
  /** `--ignore ID[,ID]` (repeatable): leave out results of these checks (own ids or equivalents such as KSV014). */
  ignore?: readonly string[] | string;
  /** Rules in force from the ignore file (`--ignorefile`, else `.bulkheadignore` when present). */
  ignoreRules?: readonly IgnoreRule[];
  /** The ignore file they came from, for the stderr notice. */
  ignoreFile?: string;
  /** `--show-passed`: list PASS results in the table too. */
  showPassed?: boolean;
  /** Terminal width the table's messages wrap to (the CLI sets it on a terminal only). */
  width?: number;
  /** Colour the table's statuses (the CLI sets it from useColor()). */
  color?: boolean;
  /** Progress over many inputs (the CLI's progress line on a terminal). */
  onProgress?: (fraction: number, message?: string) => void;
}

export function parseFormat(format: string | undefined): ReportFormat {
  const f = format ?? 'table';
  if ((REPORT_FORMATS as readonly string[]).includes(f)) return f as ReportFormat;
  throw usageError(`--format ${JSON.stringify(f)} is not one of ${REPORT_FORMATS.join(', ')}`);
}

export function parseExitCode(value: number | string | undefined): number {
  if (value === undefined) return 0;
  const n = typeof value === 'number' ? value : /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isInteger(n) || n < 0 || n > 255) throw usageError(`--exit-code ${JSON.stringify(value)} must be an integer from 0 to 255`);
  return n;
}

/** An input that could not be read or parsed: the command still reports the others, then exits 1. */
export interface InputError {
  file: string;
  line?: number;
  /** The whole sentence, naming the file (and line) and the problem in words. */
  message: string;
}

/**
 * Checks the options every `bench` command shares before any input is read, so that a wrong
 * command line is a usage error (exit 2) whatever the inputs are.
 */
export function validateOutputOptions(options: BenchOutputOptions): void {
  parseFormat(options.format);
  parseExitCode(options.exitCode);
}

/**
 * Runs an option parser of the engine (which throws BadInputError, exit 1, as tasks need) so
 * that its complaint is a usage error (exit 2): the value came from the command line.
 */
export function asUsage<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof BadInputError) throw usageError(error.message);
    throw error;
  }
}

/** Renders a report without `--ignore`d results and picks the exit code: `--exit-code` when anything left FAILed, else 0. */
export function renderReport(
  fullReport: BenchmarkReport,
  options: BenchOutputOptions,
  extra: { notes?: string[]; informationUri?: string; json?: Record<string, unknown>; errors?: readonly InputError[]; unlocated?: string } = {},
): BenchCommandOutput {
  const errors = extra.errors ?? [];
  const format = parseFormat(options.format);
  const failExitCode = parseExitCode(options.exitCode);
  const ignore = parseIgnoreIds(options.ignore);
  const rules = options.ignoreRules ?? [];
  const { report, ignored } = applyIgnores(fullReport, ignore, rules);
  let output: string;
  if (format === 'json') {
    // One shape per command (docs/schemas/bench-*.schema.json): `errors` and `notes` are always there.
    output = JSON.stringify({ ...report, ...(extra.json ?? {}), errors, notes: extra.notes ?? [] }, null, 2) + '\n';
  } else {
    output = formatReport(report, format, {
      toolName: 'bulkhead',
      toolVersion: BENCHMARK_PLUGIN_VERSION,
      ...(extra.informationUri ? { informationUri: extra.informationUri } : {}),
      ...(errors.length > 0 ? { notifications: errors } : {}),
    }, { ...tableOptions(options), ...(extra.unlocated ? { unlocated: extra.unlocated } : {}) });
    if (format === 'table') {
      for (const note of extra.notes ?? []) output += `note: ${note}\n`;
      for (const error of errors) output += `error: ${error.message}\n`;
    }
  }
  const sources = [...(ignore.length > 0 ? ['--ignore'] : []), ...(rules.length > 0 ? [options.ignoreFile ?? 'ignore file'] : [])];
  // An input that could not be checked is a failed run (1) even without --exit-code; failed
  // checks give --exit-code's value.
  const exitCode = report.summary.FAIL > 0 && failExitCode !== 0 ? failExitCode : errors.length > 0 ? 1 : 0;
  return { output, exitCode, ...(sources.length > 0 ? { notice: ignoredNotice(ignored, sources.join(', ')) } : {}) };
}

/** Reads one input file; an unreadable one is a BadInputError (exit 1) saying why in words. */
export async function readInput(file: string, what: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw new BadInputError(cannotReadMessage(file, error, what));
  }
}

/** The table's options from the command's: PASS rows with --show-passed, wrapping on a terminal. */
export function tableOptions(options: Pick<BenchOutputOptions, 'showPassed' | 'width' | 'color'>): { showPassed?: boolean; width?: number; color?: boolean } {
  return { ...(options.showPassed ? { showPassed: true } : {}), ...(options.width ? { width: options.width } : {}), ...(options.color ? { color: true } : {}) };
}
