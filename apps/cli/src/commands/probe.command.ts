import type { Command } from 'commander';
import type { CliHost } from '@bulkhead/plugin-sdk/cli';
import { CliError, ExitCode } from '../cli-io';

interface ProbeOptions {
  server?: string;
  label: string;
  timeout: string;
  format: string;
}

/** What `probeTask` answers (and `--format json` prints: docs/schemas/probe.schema.json). */
export interface ProbeReport {
  label: string;
  taskId: string;
  status: string;
  succeeded: boolean;
  totalMs: number;
  hops: { name: string; ms: number }[];
  error: string | null;
}

const PROBE = `mutation($label: String!, $timeoutMs: Int) {
  probeTask(label: $label, timeoutMs: $timeoutMs) { label status succeeded totalMs hops { name ms } error task { id } }
}`;

/**
 * `bulkhead probe`: runs the canary task on a running platform (probeTask) and prints each hop's
 * latency. Exit 0 when the task SUCCEEDED, 1 when it did not (timed out, failed, no worker), 2
 * for a bad command line: a monitor alerts on the exit code, or on `succeeded` in the JSON.
 */
export function registerProbeCommand(program: Command, host: CliHost): void {
  program
    .command('probe')
    .description('run a canary task through a running platform (API → Postgres → BullMQ → worker → Postgres → subscription) and report each hop')
    .option('--server <url>', 'the Bulkhead API (default: BULKHEAD_SERVER), e.g. http://127.0.0.1:4000; an operator token from --token or BULKHEAD_TOKEN')
    .option('--label <label>', 'names who probes, stored as the task label bulkhead.io/probe (letters, digits, . _ -)', 'cli')
    .option('--timeout <ms>', 'how long to wait for the task to succeed, in milliseconds (1 to 60000)', '10000')
    .option('-f, --format <format>', 'text or json', 'text')
    .action(async (options: ProbeOptions) => {
      if (options.format !== 'text' && options.format !== 'json') throw new CliError(`--format ${JSON.stringify(options.format)}: expected text or json`, ExitCode.usage);
      const timeoutMs = Number(options.timeout);
      if (!/^\d+$/.test(options.timeout) || timeoutMs < 1 || timeoutMs > 60_000) throw new CliError(`--timeout ${JSON.stringify(options.timeout)}: expected milliseconds from 1 to 60000`, ExitCode.usage);
      const server = options.server ?? process.env['BULKHEAD_SERVER'];
      if (!server) throw new CliError('probe needs a server: pass --server URL or set BULKHEAD_SERVER', ExitCode.usage);
      const api = host.server(server);
      const { probeTask } = await api.request<{ probeTask: Omit<ProbeReport, 'taskId'> & { task: { id: string } } }>(PROBE, { label: options.label, timeoutMs });
      const { task, ...rest } = probeTask;
      const report: ProbeReport = { ...rest, taskId: task.id };
      if (options.format === 'json') host.out(JSON.stringify(report, null, 2));
      else host.out(formatProbe(report));
      host.exit(report.succeeded ? ExitCode.ok : ExitCode.failed);
    });
}

/** The report for people: the verdict, then one line per hop. */
export function formatProbe(report: ProbeReport): string {
  const lines = [`probe ${report.label}: ${report.succeeded ? 'ok' : 'FAILED'} in ${report.totalMs.toFixed(0)} ms (task ${report.taskId} ${report.status})`];
  for (const hop of report.hops) lines.push(`  ${hop.name.padEnd(9)} ${hop.ms.toFixed(0).padStart(6)} ms`);
  if (report.error) lines.push(`  error: ${report.error}`);
  return lines.join('\n');
}
