import type { Command } from 'commander';
import type { PluginPackage } from '@bulkhead/builtin-plugins';
import type { CliHost, PluginCliCommand } from '@bulkhead/plugin-sdk/cli';
import { CliError } from '../cli-io';

/**
 * Adds the `bulkhead` subcommands of every plugin package's `cli` entry, built-in or npm, by
 * one code path. A command name may be contributed once: two packages (or a package and a
 * command of the CLI itself) contributing the same one stop the CLI, naming both.
 */
export async function registerPluginCommands(program: Command, packages: readonly PluginPackage[], host: CliHost): Promise<void> {
  const owners = new Map<string, string>(program.commands.map((c) => [c.name(), 'the bulkhead CLI itself']));
  const contributed: { pkg: PluginPackage; command: PluginCliCommand }[] = [];
  for (const pkg of packages) {
    const cli = await pkg.loadCli();
    for (const command of cli?.commands ?? []) {
      const owner = owners.get(command.name);
      if (owner) throw new CliError(`the command "${command.name}" is contributed by both ${owner} and plugin package ${pkg.name}: remove one of them from BULKHEAD_PLUGINS`);
      owners.set(command.name, `plugin package ${pkg.name}`);
      contributed.push({ pkg, command });
    }
  }
  for (const { command } of contributed) {
    command.register(program.command(command.name).description(command.description), host);
  }
}
