import type { Command } from 'commander';
import type { PluginKind } from '../manifest';
import type { CollectedResults } from '../runner/collecting-emitter';

/** What an inline task run produced (the CLI collects results instead of storing them). */
export interface InlineTaskOutcome extends CollectedResults {
  output: unknown;
}

export interface InlineTaskOptions {
  signal?: AbortSignal;
  onProgress?: (fraction: number, message?: string) => void;
  /** npm plugin packages to load for this run besides the built-ins and BULKHEAD_PLUGINS. */
  plugins?: readonly string[];
}

/** A task as a running Bulkhead API reports it (`--server URL`). */
export interface RemoteTask {
  id: string;
  status: 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';
  progress: number;
  progressMessage: string | null;
  error: string | null;
  result: unknown;
}

/** A file uploaded to a running Bulkhead API (POST /uploads). */
export interface RemoteUpload {
  id: string;
  size: number;
  sha256: string;
  /** What a task input names it by where it takes a server path: `upload:<id>`. */
  target: string;
}

/** A GraphQL client of a running Bulkhead API. Failures are CliErrors naming the endpoint. */
export interface RemoteApi {
  /** The /graphql URL requests go to. */
  readonly endpoint: string;
  request<T>(query: string, variables?: Record<string, unknown>): Promise<T>;
  /**
   * Streams a local file to the API's POST /uploads (as `contentType`, default
   * application/octet-stream; its base name as the display name), for a task input to name as
   * `upload:<id>` instead of a server path.
   */
  upload(file: string, options?: { contentType?: string }): Promise<RemoteUpload>;
  /** Polls a task until it has finished; `onUpdate` sees each change of status or progress. */
  waitForTask(id: string, onUpdate?: (task: RemoteTask) => void): Promise<RemoteTask>;
}

/** The CLI's services for a plugin's commands. */
export interface CliHost {
  /** Standard output / error of the command (tests capture them). A newline is added when missing. */
  out(text: string): void;
  /** Errors and warnings on standard error: always shown. */
  err(text: string): void;
  /**
   * Progress notes, notices and summaries on standard error, which `--quiet` drops. Optional
   * for hosts older than it: call it through `printInfo(host, text)`, which falls back to `err`.
   */
  info?(text: string): void;
  /** Runs any registered plugin's task inline (input validated against its schema). */
  runTask(kind: PluginKind, type: string, input: unknown, options?: InlineTaskOptions): Promise<InlineTaskOutcome>;
  /**
   * A progress reporter on stderr: on a terminal one line redrawn in place as the work moves
   * (cleared before anything else is printed); never on a pipe (unless BULKHEAD_PROGRESS=1,
   * then one line per whole percent) nor under --quiet.
   */
  progressPrinter(): (fraction: number, message?: string | null) => void;
  /** Runs `work` with a signal that aborts on Ctrl-C (SIGINT), with a CliError "interrupted". */
  interruptible<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T>;
  /** A client of the Bulkhead API at `url` (e.g. `--server http://127.0.0.1:4000`); a bad URL is a usage error. */
  server(url: string): RemoteApi;
  /** Ends the command with this exit code (EXIT_CODES: 0 ok, 1 failed / found, 2 usage). */
  exit(code: number): void;
}

/** A `bulkhead` subcommand a plugin contributes. */
export interface PluginCliCommand {
  /** Top-level subcommand name, e.g. `runtime`. Two plugins may not contribute the same one. */
  readonly name: string;
  readonly description: string;
  /**
   * Adds the subcommand's options, arguments and actions to `command` (the host's commander
   * `Command`, already named and described). Load heavy modules inside actions, with `import()`,
   * so that `bulkhead --help` stays fast. Throw `CliError` for a message without a stack trace.
   */
  register(command: Command, host: CliHost): void;
}

/** Exported from a plugin's `<package>/cli` entry (default export or `cli`). */
export interface PluginCli {
  readonly commands: readonly PluginCliCommand[];
}

export function definePluginCli(cli: PluginCli): PluginCli {
  return cli;
}

/** An informational line on standard error (`host.info`, which --quiet drops; `host.err` on older hosts). */
export function printInfo(host: Pick<CliHost, 'err' | 'info'>, text: string): void {
  if (host.info) host.info(text);
  else host.err(text);
}
