import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { PluginKind, PluginRegistry } from '@bulkhead/plugin-sdk';
import { cannotReadMessage, endListOptionsAtOperands, type CliHost } from '@bulkhead/plugin-sdk/cli';
import { CliError, ExitCode } from '../cli-io';
import { cliRegistry } from '../registry';

interface RunOptions {
  input: string;
  plugin?: string[];
  kind?: string;
}

/**
 * `bulkhead run <task-type> --input JSON|@file`: runs any registered plugin's task inline and
 * prints its output and everything it emitted as one JSON document. A bad input fails (exit 1)
 * with the task's message naming each bad field; a wrong command line is a usage error (exit 2).
 */
export function registerRunCommand(program: Command, host: CliHost): void {
  const run = program
    .command('run')
    .description('run any plugin task inline and print its output and results (artifacts, packages, findings) as JSON')
    .argument('<task-type>', 'the task type, e.g. scan-image (`bulkhead run --help` lists the registered ones)')
    .requiredOption('-i, --input <json>', 'the task input: JSON text, or @file to read it from a file')
    .option('--plugin <packages...>', 'extra npm plugin packages to load: repeat --plugin, or end the list with -- before the task type')
    // The kinds are written out: the SDK's main entry (zod and the task runner) loads only when a command runs.
    .option('--kind <kind>', `the plugin kind, when the task type exists in more than one (${HELP_KINDS})`)
    .action(async (taskType: string, options: RunOptions) => {
      const plugins = options.plugin ?? [];
      const { PLUGIN_KINDS } = await import('@bulkhead/plugin-sdk');
      const kind = findKind(cliRegistry(plugins), taskType, options.kind, PLUGIN_KINDS);
      const input = await readInput(options.input);
      const outcome = await host.interruptible((signal) => host.runTask(kind, taskType, input, { signal, plugins, onProgress: host.progressPrinter() }));
      host.out(JSON.stringify({ kind, type: taskType, ...outcome }, null, 2));
      host.exit(ExitCode.ok);
    });
  endListOptionsAtOperands(run);
  run.addHelpText('after', () => `\nRegistered task types (kind/type): ${registeredTasks(cliRegistry()).join(', ')}`);
}

/** PLUGIN_KINDS of the SDK, for `--help` (main.spec checks that they agree). */
export const HELP_KINDS = 'scanner, signer, benchmark, runtime';

function registeredTasks(registry: PluginRegistry): string[] {
  return registry.list().flatMap((p) => p.tasks.map((t) => `${p.manifest.kind}/${t.type}`));
}

/** The kind whose plugin handles `taskType`: the one given, or the only one that has it. */
function findKind(registry: PluginRegistry, taskType: string, given: string | undefined, allKinds: readonly PluginKind[]): PluginKind {
  if (given !== undefined && !(allKinds as readonly string[]).includes(given)) {
    throw new CliError(`unknown --kind ${JSON.stringify(given)}: use one of ${allKinds.join(', ')}`, ExitCode.usage);
  }
  const kinds = (given ? [given as PluginKind] : allKinds).filter((k) => registry.findTask(k, taskType));
  if (kinds.length === 1) return kinds[0] as PluginKind;
  if (kinds.length > 1) throw new CliError(`task type ${JSON.stringify(taskType)} exists in ${kinds.join(' and ')} plugins: choose one with --kind`, ExitCode.usage);
  throw new CliError(
    `no ${given ? `${given} ` : ''}plugin handles task type ${JSON.stringify(taskType)} (registered: ${registeredTasks(registry).join(', ')}); load its package with --plugin or BULKHEAD_PLUGINS`,
    ExitCode.usage,
  );
}

/** `--input`: JSON text, or `@file` with JSON in it. Unparseable JSON is a usage error naming where. */
async function readInput(value: string): Promise<unknown> {
  let text = value;
  let source = '--input';
  if (value.startsWith('@')) {
    source = `--input file ${value.slice(1)}`;
    try {
      text = await readFile(value.slice(1), 'utf8');
    } catch (error) {
      throw new CliError(cannotReadMessage(value.slice(1), error, '--input file'), ExitCode.usage);
    }
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new CliError(`${source} is not JSON: ${(error as Error).message}`, ExitCode.usage);
  }
}
