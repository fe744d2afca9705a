import { Writable } from 'node:stream';
import { hostname } from 'node:os';
import type { Command } from 'commander';
import { definePluginCli, endListOptionsAtOperands, printInfo, usageError, type CliHost } from '@bulkhead/plugin-sdk/cli';

// `@bulkhead/plugin-runtime/cli`: the `bulkhead runtime` commands. The rules engine is loaded
// only when a subcommand runs (import() in the actions), so `bulkhead --help` never loads it.

const MATCH_MODES = ['first', 'all'] as const;
// replay.ts's ReplayFormat (here so that parsing the command line loads no engine).
const REPLAY_FORMATS = ['json', 'text'] as const;

function registerRuntime(runtime: Command, host: CliHost): void {
  runtime
    .command('rules')
    .description('work with Falco rules files')
    .command('validate')
    .description('load and compile rules files as Falco would; list errors and warnings as file:line:col (exit 1 on errors)')
    .argument('<files...>', 'Falco rules YAML files, loaded in order')
    .action(async (files: string[]) => {
      const { runRulesValidate } = await import('./validate');
      const result = await runRulesValidate(files);
      host.out(result.output);
      host.exit(result.exitCode);
    });

  const replay = runtime
    .command('replay')
    .description("evaluate recorded events in order and print one alert per line (Falco's JSON or text form); a per-priority summary goes to stderr")
    .requiredOption('-r, --rules <files...>', 'Falco rules files, loaded in order; repeat -r per file, or end the list with -- before the event files')
    .argument('<events...>', 'event files: .json (array, audit EventList) or .jsonl (one event per line, streamed)')
    .option('--match <mode>', `rule matching: ${MATCH_MODES.join(' (Falco default) or ')}`, 'first')
    .option('-f, --format <format>', "alerts as json (Falco's json_output, one object per line) or text (Falco's `<time>: <Priority> <output>` line)", 'json')
    .option('--hostname <name>', 'hostname field of the alerts (default: this machine)')
    .option(
      '--image <refs...>',
      'images whose executables are the inventory for drift detection (oci:<dir>[:ref], docker-archive:<file>, rootfs:<dir>; scanned inline): an exec event whose container.image.digest is one of them and whose executable is not in it gives a "Drift Detected" alert. Repeat --image per image, or end the list with -- before the event files',
    )
    .action(async (events: string[], options: { rules: string[]; match: string; format: string; hostname?: string; image?: string[] }) => {
      if (!(MATCH_MODES as readonly string[]).includes(options.match)) {
        throw usageError(`unknown --match ${JSON.stringify(options.match)}: use ${MATCH_MODES.join(' or ')}`);
      }
      if (!(REPLAY_FORMATS as readonly string[]).includes(options.format)) {
        throw usageError(`--format ${JSON.stringify(options.format)} is not one of ${REPLAY_FORMATS.join(', ')}`);
      }
      const { runReplay } = await import('./replay');
      const summary = await host.interruptible(async (signal) => {
        const inventory = options.image?.length ? await imageInventories(options.image, host, signal) : undefined;
        return runReplay({
          rules: options.rules,
          inputs: events,
          matching: options.match as (typeof MATCH_MODES)[number],
          format: options.format as (typeof REPLAY_FORMATS)[number],
          // Falco's alerts always carry the sensor's hostname; ours name the machine that replayed.
          hostname: options.hostname ?? hostname(),
          signal,
          // Alerts through the host, so that --output sends them to a file.
          output: lineWriter((text) => host.out(text)),
          errorOutput: lineWriter((line) => host.err(line)),
          summaryOutput: lineWriter((line) => printInfo(host, line)),
          ...(inventory ? { inventory } : {}),
        });
      });
      host.exit(summary.exitCode);
    });
  // `-r a.yaml -r b.yaml events.json` as Falco's -r; `--rules a.yaml b.yaml -- events.json` too.
  endListOptionsAtOperands(replay);
}

/** The executables of each `--image`, scanned inline by the scanner plugin, as a drift inventory. */
async function imageInventories(references: readonly string[], host: CliHost, signal: AbortSignal) {
  const [{ scanImageExecutables }, { PathSetInventory }] = await Promise.all([import('./image-inventories'), import('../drift')]);
  const byDigest = new Map([...(await scanImageExecutables(references, host, signal))].map(([digest, paths]) => [digest, new PathSetInventory(paths)]));
  return (digest: string) => byDigest.get(digest);
}

export default definePluginCli({
  commands: [
    {
      name: 'runtime',
      description: 'Falco-compatible rules over syscall-style events and Kubernetes audit events',
      register: registerRuntime,
    },
  ],
});

/** A stream whose writes go to the host's stderr (which tests capture), for the replay's diagnostics and summary. */
function lineWriter(write: (text: string) => void): Writable {
  return new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      write(chunk.toString());
      done();
    },
  });
}
