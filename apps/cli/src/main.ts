import { Command, CommanderError, Help, Option } from 'commander';
import { CliError, ExitCode, processIo, type CliIo } from './cli-io';
import { registerCoreCommands } from './commands';
import { createCliHost } from './host/cli-host';
import { addOutputOptions, CommandOutput } from './host/command-output';
import { registerPluginCommands } from './host/plugin-commands';
import { cliPluginPackages } from './registry';

/**
 * Builds the `bulkhead` program: its own commands, then those of every plugin package's `cli`
 * entry (built-ins and BULKHEAD_PLUGINS). `done` receives each action's exit code.
 */
export async function buildProgram(io: CliIo, done: (code: number) => void, output: CommandOutput = new CommandOutput(io)): Promise<Command> {
  // `-V, --version` is answered by runCli before parsing, not declared as commander's version
  // option: root options are recognised after subcommands too, so a declared one would take
  // `bench node --version 1.27` (kube-bench's flag) and print the CLI's version instead.
  const versionOption = new Option('-V, --version', 'output the version number');
  const program = new Command('bulkhead')
    .description('Container security across build, ship and run: scan images, benchmark configuration, evaluate runtime rules')
    .configureHelp({ visibleOptions: (cmd) => [...(cmd.parent ? [] : [versionOption]), ...Help.prototype.visibleOptions.call(new Help(), cmd)] })
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({ writeOut: (s) => output.out(s), writeErr: (s) => output.err(s) })
    .option('--token <token>', 'API token for commands that talk to a server (--server); default: BULKHEAD_TOKEN');
  const host = createCliHost(output, done, () => (program.opts<{ token?: string }>().token ?? process.env['BULKHEAD_TOKEN']) || undefined);
  registerCoreCommands(program, output, host, done);
  await registerPluginCommands(program, cliPluginPackages(), host);
  // Last, so that every command, the core's and every plugin's, gets --output and --quiet.
  addOutputOptions(program, output);
  return program;
}

const CLI_VERSION = process.env['npm_package_version'] ?? '0.1.0';

/** Runs the CLI and resolves with the process exit code; never throws. */
export async function runCli(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  let exitCode: number = ExitCode.ok;
  const args = argv.slice(2);
  if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
    io.out(CLI_VERSION);
    return ExitCode.ok;
  }
  const output = new CommandOutput(io);
  try {
    const program = await buildProgram(
      io,
      (code) => {
        exitCode = code;
      },
      output,
    );
    await program.parseAsync([...argv]);
    output.finish(true);
    return exitCode;
  } catch (error) {
    try {
      output.finish(false);
    } catch {
      // The command's own error is the one to report.
    }
    if (error instanceof CommanderError) {
      // --help and --version exit with 0; usage errors were already printed by commander.
      return error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    }
    if (error instanceof CliError) {
      io.err(`bulkhead: ${error.message}`);
      return error.exitCode;
    }
    // The SDK's main entry loads zod: imported only on this error path, so `--help` does not pay for it.
    const { isPermanentError } = await import('@bulkhead/plugin-sdk');
    if (isPermanentError(error) || isOperatorError(error)) {
      // Bad input (a corrupt archive, a malformed file, an unreachable service): the message is
      // the whole story, a stack trace would only hide it.
      io.err(`bulkhead: ${(error as Error).message}`);
      return ExitCode.failed;
    }
    io.err(`bulkhead: ${error instanceof Error ? error.message : String(error)}`);
    if (process.env['BULKHEAD_DEBUG'] && error instanceof Error && error.stack) io.err(error.stack);
    return ExitCode.failed;
  }
}

/** Start-up problems an operator fixes (configuration, services, plugin packages), by name so
 * that this module does not load their libraries. */
function isOperatorError(error: unknown): boolean {
  const name = (error as Error | undefined)?.name ?? '';
  return ['ConfigError', 'DatabaseUnavailableError', 'RedisUnavailableError', 'PluginLoadError', 'PluginMigrationError', 'ApiStartupError'].includes(name);
}
