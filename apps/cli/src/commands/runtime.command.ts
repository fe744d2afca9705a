import { hostname } from 'node:os';
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
    .option(
      '--image <refs...>',
      'images whose executables are the inventory for drift detection (oci:<dir>[:ref], docker-archive:<file>, rootfs:<dir>; scanned inline): an exec event whose container.image.digest is one of them and whose executable is not in it gives a "Drift Detected" alert. End the list with -- before the event files',
    )
    .action(async (events: string[], options: { rules: string[]; match: string; hostname?: string; image?: string[] }) => {
      if (!(MATCH_MODES as readonly string[]).includes(options.match)) {
        throw new CliError(`unknown --match ${JSON.stringify(options.match)}: use ${MATCH_MODES.join(' or ')}`, ExitCode.usage);
      }
      const { runReplay, PathSetInventory } = await plugin();
      const controller = new AbortController();
      const onSignal = () => controller.abort();
      process.once('SIGINT', onSignal);
      try {
        let inventory: ((digest: string) => InstanceType<typeof PathSetInventory> | undefined) | undefined;
        if (options.image?.length) {
          // Loaded here, like the plugin: other commands do not need the scanner for this.
          const { scanImageExecutables } = await import('./image-inventories');
          const byDigest = new Map([...(await scanImageExecutables(options.image, io, controller.signal))].map(([digest, paths]) => [digest, new PathSetInventory(paths)]));
          inventory = (digest) => byDigest.get(digest);
        }
        const summary = await runReplay({
          rules: options.rules,
          inputs: events,
          matching: options.match as (typeof MATCH_MODES)[number],
          // Falco's alerts always carry the sensor's hostname; ours name the machine that replayed.
          hostname: options.hostname ?? hostname(),
          signal: controller.signal,
          ...(inventory ? { inventory } : {}),
        });
        done(summary.exitCode);
      } finally {
        process.removeListener('SIGINT', onSignal);
      }
    });
}
