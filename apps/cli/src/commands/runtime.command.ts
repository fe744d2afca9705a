import type { Command } from 'commander';
import { CliError, ExitCode, type CliIo } from '../cli-io';

const MATCH_MODES = ['first', 'all'] as const;

/**
 * `bulkhead runtime ...`: Falco-compatible rules, run inline over recorded events. The runtime
 * plugin is loaded only when a subcommand runs.
 */
export function registerRuntimeCommand(program: Command, io: CliIo, done: (code: number) => void): void {
  const runtime = program.command('runtime').description('Falco-compatible rules over syscall-style events and Kubernetes audit events');
  const plugin = () => import('@bulkhead/plugin-runtime');

  runtime
    .command('rules')
    .description('work with Falco rules files')
    .command('validate')
    .description('load and compile rules files as Falco would; list errors and warnings as file:line:col (exit 1 on errors)')
    .argument('<files...>', 'Falco rules YAML files, loaded in order')
    .action(async (files: string[]) => {
      const { runRulesValidate } = await plugin();
      const result = await runRulesValidate(files);
      io.out(result.output);
      done(result.exitCode);
    });

  runtime
    .command('replay')
    .description('evaluate recorded events in order and print one Falco JSON alert per line')
    .requiredOption('-r, --rules <files...>', 'Falco rules files, loaded in order')
    .argument('<events...>', 'event files: .json (array, audit EventList) or .jsonl (one event per line, streamed)')
    .option('--match <mode>', `rule matching: ${MATCH_MODES.join(' (Falco default) or ')}`, 'first')
    .option('--hostname <name>', 'hostname field of the alerts (default: this machine)')
    .action(async (events: string[], options: { rules: string[]; match: string; hostname?: string }) => {
      if (!(MATCH_MODES as readonly string[]).includes(options.match)) {
        throw new CliError(`unknown --match ${JSON.stringify(options.match)}: use ${MATCH_MODES.join(' or ')}`, ExitCode.usage);
      }
      const { runReplay } = await plugin();
      const controller = new AbortController();
      const onSignal = () => controller.abort();
      process.once('SIGINT', onSignal);
      try {
        const summary = await runReplay({
          rules: options.rules,
          inputs: events,
          matching: options.match as (typeof MATCH_MODES)[number],
          hostname: options.hostname,
          signal: controller.signal,
        });
        done(summary.exitCode);
      } finally {
        process.removeListener('SIGINT', onSignal);
      }
    });
}
