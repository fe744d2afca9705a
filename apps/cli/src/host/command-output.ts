import { closeSync, fsyncSync, openSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { Option, type Command } from 'commander';
import { cannotWriteMessage } from '@bulkhead/plugin-sdk/cli';
import { CliError, type CliIo } from '../cli-io';

/**
 * `--output FILE` and `--quiet`, given by the CLI to every command that does not declare its
 * own (a plugin's command joins by doing nothing): `--output` sends what the command prints on
 * standard output to FILE, `--quiet` drops progress and informational lines on standard error
 * (errors and warnings stay).
 *
 * The file is written next to its destination and renamed into place when the command ends
 * without an error, so a reader never sees half a report and a failed run leaves the previous
 * file; mode 0600, as reports map weaknesses. Output is streamed to it (a replay of millions of
 * events never sits in memory).
 */
export class CommandOutput {
  private quiet = false;
  private file?: { target: string; temp: string; fd: number };

  constructor(private readonly io: CliIo) {}

  /** Standard output of the running command (or its --output file). */
  out(text: string): void {
    if (!this.file) {
      this.clearProgress();
      return this.io.out(text);
    }
    try {
      writeSync(this.file.fd, text.endsWith('\n') ? text : `${text}\n`);
    } catch (error) {
      throw new CliError(cannotWriteMessage(this.file.target, error, '--output'));
    }
  }

  /** Errors and warnings: always shown. */
  err(text: string): void {
    this.clearProgress();
    this.io.err(text);
  }

  /** Progress, notices and summaries on standard error: dropped under --quiet. */
  info(text: string): void {
    if (this.quiet) return;
    this.clearProgress();
    this.io.err(text);
  }

  /**
   * A progress reporter for long work. On a terminal: one line on stderr, redrawn in place
   * whenever the percentage or the message changes (at most ~12 times a second), and cleared
   * before anything else is printed. On a pipe: nothing (a log is no place for it), unless
   * BULKHEAD_PROGRESS=1 asks for one plain line per whole percent. Under --quiet: nothing.
   */
  progressPrinter(stream: ProgressStream = process.stderr): (fraction: number, message?: string | null) => void {
    if (this.quiet) return () => undefined;
    if (stream.isTTY) {
      let last = '';
      let lastAt = 0;
      return (fraction, message) => {
        const line = progressLine(fraction, message);
        const now = Date.now();
        if (line === last || (now - lastAt < 80 && !line.startsWith('[100%]'))) return;
        last = line;
        lastAt = now;
        const width = Math.max(20, (Number(process.env['COLUMNS']) || stream.columns || 80) - 1);
        // \r and "erase line": the next draw replaces this one; cut to the width so it never wraps.
        stream.write(`\r\x1b[2K${line.length > width ? `${line.slice(0, width - 1)}…` : line}`);
        this.progressStream = stream;
      };
    }
    if (process.env['BULKHEAD_PROGRESS'] !== '1') return () => undefined;
    let lastPercent = -1;
    return (fraction, message) => {
      const percent = clampPercent(fraction);
      if (percent === lastPercent) return;
      lastPercent = percent;
      this.io.err(progressLine(fraction, message));
    };
  }

  private progressStream?: ProgressStream;

  private clearProgress(): void {
    this.progressStream?.write('\r\x1b[2K');
    this.progressStream = undefined;
  }

  get isQuiet(): boolean {
    return this.quiet;
  }

  /** Called before a command's action (commander's preAction hook) with its parsed options. */
  begin(command: Command): void {
    const options = command.opts<{ output?: unknown; quiet?: unknown }>();
    const owned = OWNED.get(command);
    this.quiet = owned?.quiet === true && options.quiet === true;
    if (owned?.output === true && typeof options.output === 'string') this.open(options.output);
  }

  /** After the action: keeps the --output file when the command ended without an error, else removes it. */
  finish(succeeded: boolean): void {
    this.clearProgress();
    const file = this.file;
    if (!file) return;
    this.file = undefined;
    try {
      fsyncSync(file.fd);
      closeSync(file.fd);
      if (succeeded) renameSync(file.temp, file.target);
    } catch (error) {
      throw new CliError(cannotWriteMessage(file.target, error, '--output'));
    } finally {
      rmSync(file.temp, { force: true });
    }
  }

  private open(file: string): void {
    if (file === '') throw new CliError('--output needs a file name', 2);
    // `-o -`: standard output, as most tools read it.
    if (file === '-') return;
    const target = path.resolve(file);
    if (statSync(target, { throwIfNoEntry: false })?.isDirectory()) throw new CliError(`cannot write --output ${file}: it is a directory (give a file name)`, 2);
    const temp = path.join(path.dirname(target), `.${path.basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
    try {
      this.file = { target, temp, fd: openSync(temp, 'wx', 0o600) };
    } catch (error) {
      throw new CliError(cannotWriteMessage(file, error, '--output'));
    }
  }
}

/** Where a terminal progress line is drawn (process.stderr; tests pass their own). */
export interface ProgressStream {
  isTTY?: boolean;
  columns?: number;
  write(text: string): unknown;
}

function clampPercent(fraction: number): number {
  return Number.isFinite(fraction) ? Math.max(0, Math.min(100, Math.floor(fraction * 100))) : 0;
}

function progressLine(fraction: number, message?: string | null): string {
  return `[${String(clampPercent(fraction)).padStart(3)}%] ${message ?? ''}`.trimEnd();
}

/** Which of --output / --quiet the CLI added to a command (and so handles for it). */
const OWNED = new WeakMap<Command, { output: boolean; quiet: boolean }>();

/** Commands that print no report, so --output has nothing to write (a server logs to stderr). */
const NO_OUTPUT = new Set(['serve']);

/** The commands that run (no subcommands of their own), depth first. */
export function leafCommands(command: Command): Command[] {
  return command.commands.length === 0 ? [command] : command.commands.flatMap(leafCommands);
}

function hasOption(command: Command, long: string): boolean {
  return command.options.some((o) => o.long === long);
}

function hasShortFlag(command: Command, short: string): boolean {
  return command.options.some((o) => o.short === short);
}

/**
 * Adds `-o, --output <file>` and `-q, --quiet` to every runnable command that lacks them and
 * routes them through `output`. A command that declares its own `--output` (say, one that writes
 * binary files or a folder) or `--quiet` keeps it and handles it itself.
 */
export function addOutputOptions(program: Command, output: CommandOutput): void {
  for (const command of leafCommands(program)) {
    if (command === program) continue;
    const owned = { output: false, quiet: false };
    if (!hasOption(command, '--output') && !NO_OUTPUT.has(command.name())) {
      command.addOption(new Option(`${hasShortFlag(command, '-o') ? '' : '-o, '}--output <file>`, 'write what the command prints (its report) to FILE instead of standard output: atomically, mode 0600'));
      owned.output = true;
    }
    if (!hasOption(command, '--quiet')) {
      command.addOption(new Option(`${hasShortFlag(command, '-q') ? '' : '-q, '}--quiet`, 'no progress or informational messages on standard error (errors and warnings still)'));
      owned.quiet = true;
    }
    OWNED.set(command, owned);
  }
  program.hook('preAction', (_program, action) => output.begin(action));
}
