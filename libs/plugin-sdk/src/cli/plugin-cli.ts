import type { PluginKind } from '../manifest';
import type { ArtifactResult, FindingResult, PackageResult } from '../results';

/** What an inline task run produced (the CLI collects results instead of storing them). */
export interface InlineTaskOutcome {
  output: unknown;
  artifacts: ArtifactResult[];
  packages: { artifactDigest: string; packages: PackageResult[] }[];
  findings: FindingResult[];
}

/** The CLI's services for a plugin's commands. */
export interface CliHost {
  /** Standard output / error of the command (tests capture them). */
  out(text: string): void;
  err(text: string): void;
  /** Runs any registered plugin's task inline (input validated against its schema). */
  runTask(kind: PluginKind, type: string, input: unknown, options?: { signal?: AbortSignal; onProgress?: (fraction: number, message?: string) => void }): Promise<InlineTaskOutcome>;
  /** Ends the command with this exit code (0 ok, 1 failed / found, 2 usage). */
  exit(code: number): void;
}

/** A `bulkhead` subcommand a plugin contributes. */
export interface PluginCliCommand {
  /** Top-level subcommand name, e.g. `runtime`. Two plugins may not contribute the same one. */
  readonly name: string;
  readonly description: string;
  /**
   * Adds the subcommand's options, arguments and actions to `command` (a commander `Command`
   * already named `name`). Load heavy modules inside actions so that `bulkhead --help` stays fast.
   */
  register(command: unknown, host: CliHost): void;
}

/** Exported from a plugin's `<package>/cli` entry (default export or `cli`). */
export interface PluginCli {
  readonly commands: readonly PluginCliCommand[];
}

export function definePluginCli(cli: PluginCli): PluginCli {
  return cli;
}
